import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

interface Item { complaint: { id: string; team: string | null }; deadline: string; dueAt: string }

t.test('at risk, scope=teams: a supervisor sees the open promises of their teams, soonest first', async (t) => {
  const { call, user, admin } = await setupApp(t, { clock: () => new Date('2026-11-02T01:00:00Z') })
  const policy = (await call('GET', '/v1/sla-policies', admin)).json() as Record<string, unknown>
  await call('PUT', '/v1/sla-policies', admin, { ...policy, businessHours: { urgent: false, high: false, normal: false, low: false } })
  const agent = await user('agent', { teams: ['east'] })
  const lead = await user('supervisor', { level: 1, teams: ['east', 'north'] })
  const loner = await user('supervisor', { level: 1 })
  const drifter = await user('agent')
  // Without a team given, a complaint takes its creator's first team: the drifter has none.
  const create = async (team: string | undefined, severity: string) =>
    (await call('POST', '/v1/complaints', team ? agent : drifter, aComplaint({ severity, ...(team ? { team } : {}) }))).json() as { id: string }
  const eastLow = await create('east', 'low') // P5D
  const northUrgent = await create('north', 'urgent') // PT2H
  const eastHigh = await create('east', 'high') // PT8H
  const west = await create('west', 'urgent')
  const none = await create(undefined, 'urgent')
  const escalated = await create('east', 'normal')
  await call('POST', `/v1/complaints/${escalated.id}/escalate`, agent, { reason: 'above me' })
  // Acknowledged, it has the supervisor's own deadline (P1D); waiting to be taken it has none (the inbox shows those).
  await call('POST', `/v1/complaints/${escalated.id}/acknowledge`, loner, {})
  const resolved = await create('east', 'urgent')
  await call('POST', `/v1/complaints/${resolved.id}/resolve`, agent, { summary: 'done' })

  const teams = await call('GET', '/v1/me/at-risk?scope=teams', lead)
  t.equal(teams.statusCode, 200)
  const items = teams.json().items as Item[]
  t.same(items.map((i) => i.complaint.id), [northUrgent.id, eastHigh.id, escalated.id, eastLow.id],
    'logged and escalated complaints of east and north, soonest deadline first; not west, none or a resolved one')
  t.ok(items.every((i, n) => n === 0 || items[n - 1]!.dueAt <= i.dueAt))
  t.notOk(items.some((i) => [west.id, none.id, resolved.id].includes(i.complaint.id)))

  const first = (await call('GET', '/v1/me/at-risk?scope=teams&limit=3', lead)).json()
  t.equal(first.items.length, 3)
  const rest = (await call('GET', `/v1/me/at-risk?scope=teams&limit=3&cursor=${first.nextCursor}`, lead)).json()
  t.same(rest.items.map((i: Item) => i.complaint.id), [eastLow.id], 'paged')
  t.equal(rest.nextCursor, null)

  t.same((await call('GET', '/v1/me/at-risk?scope=teams', loner)).json().items, [], 'no team, no list')
  t.same((await call('GET', '/v1/me/at-risk', lead)).json().items, [], 'scope=mine (the default) is still what they hold')
  t.same((await call('GET', '/v1/me/at-risk', loner)).json().items.map((i: Item) => i.complaint.id), [escalated.id], 'the one they took')
  const refused = await call('GET', '/v1/me/at-risk?scope=teams', agent)
  t.same([refused.statusCode, refused.json().code], [403, 'forbidden'], 'agents see their own only')
  t.equal((await call('GET', '/v1/me/at-risk?scope=everyone', lead)).statusCode, 400)
})

t.test('GET /v1/me says which zone the hotline writes times in (the policy\'s calendar)', async (t) => {
  const { call, user, admin } = await setupApp(t)
  const agent = await user('agent')
  t.equal((await call('GET', '/v1/me', agent)).json().timezone, 'UTC', 'the default policy')
  const policy = (await call('GET', '/v1/sla-policies', admin)).json() as { calendar: Record<string, unknown> }
  await call('PUT', '/v1/sla-policies', admin, { ...policy, calendar: { ...policy.calendar, timezone: 'Asia/Shanghai' } })
  t.equal((await call('GET', '/v1/me', agent)).json().timezone, 'Asia/Shanghai')
  t.equal((await call('GET', '/v1/me', admin)).json().timezone, 'Asia/Shanghai', 'for every role')
})

import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

t.test('the default policy is in force until an admin sets one', async (t) => {
  const { call, admin, user } = await setupApp(t)
  const current = await call('GET', '/v1/sla-policies', admin)
  t.equal(current.statusCode, 200)
  t.match(current.json(), { version: 0, updatedAt: null, response: { urgent: 'PT2H', high: 'PT8H', normal: 'P3D', low: 'P5D' },
    warnAt: 0.8, triage: 'PT1H', escalationAck: 'PT30M', followUpAttempts: 3, maxLevel: 3 })
  const agent = await user('agent')
  t.equal((await call('GET', '/v1/sla-policies', agent)).statusCode, 403)
  t.equal((await call('PUT', '/v1/sla-policies', agent, fastPolicy())).statusCode, 403)
})

t.test('a new policy applies to new deadlines; pending ones keep what was promised', async (t) => {
  const { call, admin, user } = await setupApp(t)
  const agent = await user('agent')
  const before = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'urgent' }))).json()
  const saved = await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT30M', high: 'PT4H', normal: 'P2D', low: 'P4D' } }))
  t.equal(saved.statusCode, 200)
  t.equal(saved.json().version, 1)
  t.ok(saved.json().updatedAt)
  t.equal((await call('GET', '/v1/sla-policies', admin)).json().response.urgent, 'PT30M')

  const after = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'urgent' }))).json()
  const window = (c: { createdAt: string; promisedBy: string }) => Date.parse(c.promisedBy) - Date.parse(c.createdAt)
  t.equal(window(before), 2 * 3600_000, 'urgent: two hours under the old policy')
  t.equal(window(after), 30 * 60_000, 'urgent: thirty minutes under the new one')
  const reread = (await call('GET', `/v1/complaints/${before.id}`, agent)).json()
  t.equal(reread.promisedBy, before.promisedBy, 'the earlier promise is kept')
})

t.test('an explicit promisedBy overrides the response window', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const promisedBy = new Date(Date.now() + 5 * 3600_000).toISOString()
  const complaint = (await call('POST', '/v1/complaints', agent, aComplaint({ promisedBy }))).json()
  t.equal(complaint.promisedBy, promisedBy)
  t.equal(complaint.deadlines.find((d: { kind: string }) => d.kind === 'response').dueAt, promisedBy)
})

t.test('invalid policies are refused field by field', async (t) => {
  const { call, admin } = await setupApp(t)
  const cases: [string, Record<string, unknown>, string][] = [
    ['months are not a fixed length', { triage: 'P1M' }, 'body.triage'],
    ['a zero duration', { escalationAck: 'PT0S' }, 'body.escalationAck'],
    ['an unknown time zone', { calendar: { ...fastPolicy().calendar, timezone: 'Mars/Olympus' } }, 'body.calendar.timezone'],
    ['an interval that ends before it starts', { calendar: { ...fastPolicy().calendar, week: { ...fastPolicy().calendar.week, mon: [['18:00', '09:00']] } } }, 'body.calendar.week.mon.0'],
    ['warnAt outside (0, 1)', { warnAt: 1.5 }, 'body.warnAt'],
    ['maxLevel above 3', { maxLevel: 4 }, 'body.maxLevel'],
  ]
  for (const [label, override, field] of cases) {
    const refused = await call('PUT', '/v1/sla-policies', admin, fastPolicy(override))
    t.equal(refused.statusCode, 400, label)
    t.ok(refused.json().errors.some((e: { field: string }) => e.field === field), `${label}: names ${field}`)
  }
  t.equal((await call('GET', '/v1/sla-policies', admin)).json().version, 0, 'nothing was saved')
  const seconds = await call('PUT', '/v1/sla-policies', admin, fastPolicy({ triage: 'PT1.5S', calendar: { ...fastPolicy().calendar, week: { ...fastPolicy().calendar.week, sat: [['10:00', '12:00'], ['13:00', '24:00']] } } }))
  t.equal(seconds.statusCode, 200, 'seconds, fractions and 24:00 are fine')
})

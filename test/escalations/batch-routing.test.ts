import { sql } from 'kysely'
import t from 'tap'
import type { Db, Trx } from '../../src/db/database.js'
import { fireTimers } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp, type TestApp, type TestUser } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

const HOUR = { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' }

/** Complaints escalated (or resolved) with no worker running: their routing (or follow-up) jobs wait, due in this order. */
async function waiting(testApp: TestApp, as: TestUser, teams: (string | null)[], then: 'escalate' | 'resolve') {
  const kind = then === 'escalate' ? 'route_escalation' : 'follow_up'
  const timers: { id: string; complaintId: string }[] = []
  for (const team of teams) {
    const { id } = (await testApp.call('POST', '/v1/complaints', as, aComplaint(team ? { team } : {}))).json()
    const answer = await testApp.call('POST', `/v1/complaints/${id}/${then}`, as, then === 'escalate' ? { reason: 'x' } : { summary: 'fixed' })
    if (answer.statusCode !== 200) throw new Error(answer.body)
    const timer = await testApp.db.selectFrom('timers').select(['id', 'complaintId']).where('complaintId', '=', id).where('kind', '=', kind).executeTakeFirstOrThrow()
    timers.push(timer)
  }
  const base = Date.now() - 60_000
  for (const [i, timer] of timers.entries()) await testApp.db.updateTable('timers').set({ dueAt: new Date(base + i * 10) }).where('id', '=', timer.id).execute()
  return timers
}

// The rules as they were before batches: one query each, in SQL. The oracle for the in-memory choice.
const SUPERVISOR_SQL = (level: number, team: string | null) => sql<{ id: string }>`
  select u.id from users u where u.active and u.role = 'supervisor' and u.level >= ${level}
  order by u.level, coalesce(${team}::text = any(u.teams), false) desc,
    (select count(*) from complaints c where c.state = 'escalated' and c.escalation ->> 'assigneeId' = u.id::text), u.id
  limit 1`
const CALLER_SQL = (resolvedBy: string | null, team: string | null) => sql<{ id: string }>`
  select u.id from users u where u.active and u.role = 'agent' and u.id is distinct from ${resolvedBy}::uuid
  order by coalesce(${team}::text = any(u.teams), false) desc,
    (select count(*) from complaints c where c.state = 'follow_up' and c.assignee_id = u.id), u.id
  limit 1`

class Rollback extends Error {}

/** Whom the same routings, one after another in due order, would choose: worked out in a transaction rolled back. */
async function sequentially(db: Db, complaintIds: string[], choose: (trx: Trx, complaintId: string) => Promise<string | null>) {
  const chosen = new Map<string, string | null>()
  await db.transaction().execute(async (trx) => {
    for (const id of complaintIds) chosen.set(id, await choose(trx, id))
    throw new Rollback()
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error
  })
  return chosen
}

t.test('a batch routes its escalations across supervisors by load exactly as one routing after another would', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: HOUR, escalationAck: 'PT1H' }))
  const agent = await user('agent')
  const east = [await user('supervisor', { level: 1, teams: ['east'] }), await user('supervisor', { level: 1, teams: ['east'] })]
  const west = await user('supervisor', { level: 1, teams: ['west'] })
  await user('supervisor', { level: 1 })
  await user('supervisor', { level: 2 })
  await user('supervisor', { level: 2, teams: ['west'] })
  // Open escalations they already hold.
  const held = await waiting(testApp, agent, ['east', 'east', 'west'], 'escalate')
  for (const [i, to] of [east[0]!, east[0]!, west].entries()) {
    await sql`update complaints set escalation = escalation || jsonb_build_object('assigneeId', ${to.id}::text) where id = ${held[i]!.complaintId}`.execute(db)
    await db.updateTable('timers').set({ firedAt: new Date() }).where('id', '=', held[i]!.id).execute()
  }
  const teams = ['east', 'west', null, 'east', 'north', 'east', 'west', null, 'east', 'east', 'west', 'west', null, 'east', 'north', 'east', 'east', 'west', null, 'east']
  const timers = await waiting(testApp, agent, teams, 'escalate')
  // Three of them at level 2.
  for (const i of [4, 9, 15]) await sql`update complaints set escalation = jsonb_set(escalation, '{level}', '2') where id = ${timers[i]!.complaintId}`.execute(db)

  const ids = timers.map((x) => x.complaintId)
  const expected = await sequentially(db, ids, async (trx, id) => {
    const row = await trx.selectFrom('complaints').select(['team', 'escalation']).where('id', '=', id).executeTakeFirstOrThrow()
    const to = (await SUPERVISOR_SQL(row.escalation!.level, row.team).execute(trx)).rows[0]?.id ?? null
    await sql`update complaints set escalation = escalation || jsonb_build_object('assigneeId', ${to}::text) where id = ${id}`.execute(trx)
    return to
  })
  const outcomes = await fireTimers(db, timers.map((x) => x.id))
  t.ok([...outcomes.values()].every((o) => o.outcome === 'fired'), 'every routing fired in one batch')
  const rows = await db.selectFrom('complaints').select(['id', 'escalation']).where('id', 'in', ids).execute()
  const got = new Map(rows.map((r) => [r.id, r.escalation!.assigneeId]))
  t.same(ids.map((id) => got.get(id)), ids.map((id) => expected.get(id)), 'each escalation to whom the sequential rule chose')
  t.ok(new Set(got.values()).size >= 4, 'spread over the supervisors')
})

t.test('a batch of follow-up calls is spread over the agents as one call after another would be, never to the resolver', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: HOUR, followUpAfter: 'PT1H' }))
  const resolver = await user('agent', { compensationLimit: 100 })
  const callers = [await user('agent', { teams: ['east'] }), await user('agent'), await user('agent')]
  const timers = await waiting(testApp, resolver, ['east', null, 'east', null, null, 'east', null, null, 'west', null, null, 'east'], 'resolve')
  const ids = timers.map((x) => x.complaintId)
  const expected = await sequentially(db, ids, async (trx, id) => {
    const row = await trx.selectFrom('complaints').select(['team', 'resolution']).where('id', '=', id).executeTakeFirstOrThrow()
    const to = (await CALLER_SQL(row.resolution!.resolvedBy, row.team).execute(trx)).rows[0]?.id ?? null
    await trx.updateTable('complaints').set({ assigneeId: to }).where('id', '=', id).execute()
    return to
  })
  const outcomes = await fireTimers(db, timers.map((x) => x.id))
  t.ok([...outcomes.values()].every((o) => o.outcome === 'fired'))
  const rows = await db.selectFrom('complaints').select(['id', 'assigneeId']).where('id', 'in', ids).execute()
  const got = new Map(rows.map((r) => [r.id, r.assigneeId]))
  t.same(ids.map((id) => got.get(id)), ids.map((id) => expected.get(id)), 'each call to whom the sequential rule chose')
  t.notOk([...got.values()].includes(resolver.id), 'never the resolver')
  t.same(new Set(got.values()), new Set(callers.map((c) => c.id)), 'every other agent takes some')
})

t.test('batches routing at once never read stale loads: the open escalations stay as even as one after another leaves them', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: HOUR, escalationAck: 'PT1H' }))
  const agent = await user('agent')
  const supervisors = await Promise.all(Array.from({ length: 5 }, () => user('supervisor', { level: 1 })))
  for (let round = 1; round <= 2; round++) {
    const timers = await waiting(testApp, agent, Array.from({ length: 48 }, () => null), 'escalate')
    // Four batches of 12 at once, as four workers would run them: 12 each from one stale read would load the
    // supervisors 3, 3, 2, 2, 2 per batch, always the same ones first (12, 12, 8, 8, 8 in all).
    const batches = [0, 1, 2, 3].map((b) => timers.filter((_, i) => i % 4 === b).map((x) => x.id))
    const outcomes = await Promise.all(batches.map((ids) => fireTimers(db, ids)))
    t.ok(outcomes.every((o) => [...o.values()].every((r) => r.outcome === 'fired')), `round ${round}: all routed`)
    const { rows } = await sql<{ assignee: string; n: number }>`select escalation ->> 'assigneeId' as assignee, count(*)::int as n
      from complaints where state = 'escalated' group by 1`.execute(db)
    const loads = supervisors.map((s) => rows.find((r) => r.assignee === s.id)?.n ?? 0)
    t.equal(loads.reduce((a, b) => a + b), 48 * round, `round ${round}: every escalation assigned`)
    t.ok(Math.max(...loads) - Math.min(...loads) <= 1, `round ${round}: loads ${loads.join(', ')} differ by at most one`)
  }
})

import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { createDb, type Db } from '../../src/db/database.js'
import type { ComplaintRow } from '../../src/db/tables.js'
import { inFlightRouting, readWorkloads } from '../../src/escalations/router.js'
import { fireTimers } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp, type TestApp, type TestUser } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

// Issue 12: batches that route read the loads without a lock and never wait for each other. A batch adds the routing
// in flight of the other batches of its own process (batch-routing.test.ts: as one after another would), but cannot
// see what another worker process has routed and not yet committed: each choice may miss those routings, and no more.
// The ledger (routing_loads) stays exact whatever the interleaving.

const HOUR = { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' }

/** Complaints escalated with no worker running: their routing timers wait, due now, in this order. */
async function escalated(testApp: TestApp, as: TestUser, n: number): Promise<{ id: string; complaintId: string }[]> {
  const timers: { id: string; complaintId: string }[] = []
  for (let i = 0; i < n; i++) {
    const { id } = (await testApp.call('POST', '/v1/complaints', as, aComplaint())).json()
    const answer = await testApp.call('POST', `/v1/complaints/${id}/escalate`, as, { reason: 'x' })
    if (answer.statusCode !== 200) throw new Error(answer.body)
    timers.push(await testApp.db.selectFrom('timers').select(['id', 'complaintId']).where('complaintId', '=', id).where('kind', '=', 'route_escalation').executeTakeFirstOrThrow())
  }
  const base = Date.now() - 60_000
  for (const [i, timer] of timers.entries()) await testApp.db.updateTable('timers').set({ dueAt: new Date(base + i * 10) }).where('id', '=', timer.id).execute()
  return timers
}

/** Open escalations per supervisor: as the ledger sums them, and as a recount of the complaints says. */
async function loads(db: Db) {
  const ledger = await sql<{ user_id: string; n: number }>`
    select user_id, sum(delta)::int as n from routing_loads where kind = 'escalation' group by 1 having sum(delta) <> 0 order by 1`.execute(db)
  const counted = await sql<{ user_id: string; n: number }>`
    select escalation ->> 'assigneeId' as user_id, count(*)::int as n from complaints
    where state = 'escalated' and escalation ->> 'assigneeId' is not null group by 1 order by 1`.execute(db)
  return { ledger: ledger.rows, counted: counted.rows }
}

const assigneesOf = async (db: Db, complaintIds: string[]) => {
  const rows = await db.selectFrom('complaints').select(['id', 'escalation']).where('id', 'in', complaintIds).execute()
  const by = new Map(rows.map((r) => [r.id, r.escalation?.assigneeId ?? null]))
  return complaintIds.map((id) => by.get(id)!)
}

/** A second worker process's database pool (its batches are in flight apart from this process's). */
function secondWorker(t: Test, testApp: TestApp): Db {
  const db = createDb(testApp.databaseUrl, { max: 10 })
  let destroyed = false
  t.teardown(async () => {
    if (!destroyed) await db.destroy()
    destroyed = true
  })
  return db
}

t.test("a batch routes while another worker's routing is uncommitted: it misses those routings, and no more", async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: HOUR, escalationAck: 'PT1H' }))
  const agent = await user('agent')
  const supervisors = [await user('supervisor', { level: 1 }), await user('supervisor', { level: 1 }), await user('supervisor', { level: 1 })]
  const ids = supervisors.map((s) => s.id).sort()
  // The second and third supervisors (in id order) already hold three open escalations each; the first none.
  const held = await escalated(testApp, agent, 6)
  for (const [i, timer] of held.entries()) {
    await sql`update complaints set escalation = escalation || jsonb_build_object('assigneeId', ${ids[1 + (i % 2)]}::text) where id = ${timer.complaintId}`.execute(db)
    await db.updateTable('timers').set({ firedAt: new Date() }).where('id', '=', timer.id).execute()
  }
  const theirs = await escalated(testApp, agent, 3)
  const ours = await escalated(testApp, agent, 3)
  const other = secondWorker(t, testApp)

  // The other worker's batch: reads the loads, routes its three and has not committed when ours runs.
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let routedThere!: () => void
  const inFlightThere = new Promise<void>((resolve) => (routedThere = resolve))
  const there = other.transaction().execute(async (trx) => {
    const workloads = await readWorkloads(trx, { escalations: true, followUps: false }, inFlightRouting(other))
    for (const timer of theirs) {
      const to = workloads.supervisorFor({ level: 1, team: null })!.supervisorId
      await sql`update complaints set escalation = escalation || jsonb_build_object('assigneeId', ${to}::text) where id = ${timer.complaintId}`.execute(trx)
      await trx.updateTable('timers').set({ firedAt: new Date() }).where('id', '=', timer.id).execute()
      workloads.moved({ state: 'escalated', escalation: { assigneeId: null } } as ComplaintRow, { state: 'escalated', escalation: { assigneeId: to } } as ComplaintRow)
    }
    routedThere()
    await released
    workloads.settled(true)
  })
  await inFlightThere
  // Ours does not wait for it (before issue 12's last step it waited on the routing lock until that commit).
  const outcomes = await fireTimers(db, ours.map((x) => x.id))
  t.ok([...outcomes.values()].every((o) => o.outcome === 'fired'), 'our batch routed all three while the other was in flight')
  release()
  await there

  const theirChoices = await assigneesOf(db, theirs.map((x) => x.complaintId))
  const ourChoices = await assigneesOf(db, ours.map((x) => x.complaintId))
  t.same(theirChoices, [ids[0], ids[0], ids[0]], 'theirs: all to the least loaded (0 against 3 and 3)')
  t.same(ourChoices, [ids[0], ids[0], ids[0]], 'ours, not seeing theirs: the same three choices')
  // The bound: when ours chose, its supervisor held at most the other batch's three routings more than the least loaded.
  const truth = new Map([[ids[0]!, 3], [ids[1]!, 3], [ids[2]!, 3]])
  for (const to of ourChoices) {
    const least = Math.min(...truth.values())
    t.ok(truth.get(to!)! - least <= theirs.length, `chosen at ${truth.get(to!)} open with the least at ${least}: within ${theirs.length}`)
    truth.set(to!, truth.get(to!)! + 1)
  }
  const after = await loads(db)
  t.same(after.ledger, after.counted, 'the ledger says what the complaints say')
  t.same(after.counted.map((r) => r.n).sort(), [3, 3, 6], '6, 3, 3 open: the imbalance both batches made, at most one batch of routings')

  // The next batch sees everything committed and evens it out, as one routing after another would.
  const next = await escalated(testApp, agent, 6)
  await fireTimers(other, next.map((x) => x.id))
  t.same((await assigneesOf(db, next.map((x) => x.complaintId))).sort(), [ids[1], ids[1], ids[1], ids[2], ids[2], ids[2]].sort(), 'the next six to the two behind')
  const last = await loads(db)
  t.same(last.ledger, last.counted)
  t.same(last.counted.map((r) => r.n), [6, 6, 6], 'even again')
  t.same(inFlightRouting(db).size, { batches: 0, views: 0 }, 'nothing left in memory once the batches are done')
  t.same(inFlightRouting(other).size, { batches: 0, views: 0 })
})

t.test('many batches from two workers at once: every escalation routed once, the ledger equal to a recount', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: HOUR, escalationAck: 'PT1H' }))
  const agent = await user('agent')
  for (let i = 0; i < 5; i++) await user('supervisor', { level: 1 })
  const other = secondWorker(t, testApp)
  const PER_BATCH = 8
  const BATCHES = 3
  for (let round = 1; round <= 3; round++) {
    const timers = await escalated(testApp, agent, 2 * BATCHES * PER_BATCH)
    // Each worker runs three batches at once, interleaved in due order with the other's.
    const batches = Array.from({ length: 2 * BATCHES }, (_, b) => timers.filter((_, i) => i % (2 * BATCHES) === b).map((x) => x.id))
    const outcomes = await Promise.all(batches.map((ids, b) => fireTimers(b % 2 === 0 ? db : other, ids)))
    t.ok(outcomes.every((o) => [...o.values()].every((r) => r.outcome === 'fired')), `round ${round}: every routing fired`)
    const { ledger, counted } = await loads(db)
    t.same(ledger, counted, `round ${round}: the ledger equals a recount`)
    const n = counted.map((r) => r.n)
    t.equal(n.reduce((a, b) => a + b, 0), round * 2 * BATCHES * PER_BATCH, `round ${round}: every escalation assigned once`)
    // A choice misses at most the other worker's batches in flight: BATCHES * PER_BATCH routings.
    t.ok(Math.max(...n) - Math.min(...n) <= BATCHES * PER_BATCH + 1, `round ${round}: loads ${n.join(', ')} within the bound`)
  }
  const events = await sql<{ n: number }>`select count(*)::int as n from complaint_events where type = 'escalation.assigned'`.execute(db)
  t.equal(events.rows[0]!.n, 3 * 2 * BATCHES * PER_BATCH, 'one assignment event per escalation')
})

import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { GROUP_MAX, GROUP_SPAN_MS, groupJobs } from '../../src/timers/job-groups.js'
import { queueOf, timerIdsOf } from '../../src/timers/jobs.js'
import { loadDueSoon } from '../../src/timers/loader.js'
import { reconcile } from '../../src/timers/reconciler.js'
import { aComplaint, deleteKeys, setupApp, type TestApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'

const at = (ms: number) => new Date(Date.UTC(2026, 10, 27, 9) + ms)
const timer = (n: number, kind: string, ms: number) => ({ id: `t${n}`, kind, dueAt: at(ms) })

t.test('timers of one queue due within the span share a job; a group of one keeps its own', async (t) => {
  const jobIds = groupJobs([
    timer(1, 'response', 0),
    timer(2, 'response_warning', GROUP_SPAN_MS),
    timer(3, 'route_escalation', 10),
    timer(4, 'response', GROUP_SPAN_MS + 1),
    timer(5, 'route_escalation', 20),
    timer(6, 'response', 10 * GROUP_SPAN_MS),
  ])
  t.ok(jobIds.get('t1')?.startsWith('group.'))
  t.equal(jobIds.get('t2'), jobIds.get('t1'), 'due at the span\'s end: same job')
  t.ok(jobIds.get('t3') && jobIds.get('t3') === jobIds.get('t5'), 'the routings share a job of their own queue')
  t.not(jobIds.get('t3'), jobIds.get('t1'))
  t.equal(jobIds.get('t4'), undefined, 'past the span, alone: its own job')
  t.equal(jobIds.get('t6'), undefined)

  const many = groupJobs(Array.from({ length: GROUP_MAX + 1 }, (_, i) => timer(i, 'response', 0)))
  t.equal(new Set(many.values()).size, 1, `${GROUP_MAX} in the group, the last alone`)
  t.equal(many.size, GROUP_MAX)
})

async function dueTogether(testApp: TestApp, count: number, inMs: number) {
  const { call, user, db } = testApp
  const agent = await user('agent')
  const ids: string[] = []
  for (let i = 0; i < count; i++) ids.push((await call('POST', '/v1/complaints', agent, aComplaint({ summary: `flooded depot ${i}` }))).json().id)
  // Their deadlines, hours away and so still in Postgres, now fall due within a few milliseconds of each other.
  const due = Date.now() + inMs
  await sql`update timers set due_at = ${new Date(due)}::timestamptz + (random() * interval '20 milliseconds')
    where complaint_id = any(${ids}::uuid[]) and kind = 'response'`.execute(db)
  return { ids, agent }
}

const responses = (testApp: TestApp, ids: string[]) =>
  testApp.db.selectFrom('timers').select(['id', 'kind', 'jobId', 'queued', 'firedAt'])
    .where('complaintId', 'in', ids).where('kind', '=', 'response').execute()

async function firedOnce(t: Test, testApp: TestApp, ids: string[]) {
  await waitFor(async () => (await responses(testApp, ids)).every((r) => r.firedAt), 15_000, 'every deadline to fire')
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from complaint_events
    where complaint_id = any(${ids}::uuid[]) and type = 'deadline.response_missed' group by complaint_id`.execute(testApp.db)
  t.same(rows.map((r) => r.n), ids.map(() => 1), 'each deadline fired exactly once')
}

t.test('the loader hands deadlines due together to the queue as one job, recorded in their rows, and each fires once', async (t) => {
  const testApp = await setupApp(t)
  const { ids } = await dueTogether(testApp, 12, 3_000)
  const { scheduler } = startTestWorker(t, testApp)
  t.equal((await loadDueSoon(testApp.db, scheduler, { horizonMs: 60_000 })).loaded, 12)
  const rows = await responses(testApp, ids)
  const jobIds = new Set(rows.map((r) => r.jobId))
  t.equal(jobIds.size, 1, 'one job for the twelve')
  const job = await scheduler.queues.timers.getJob([...jobIds][0]!)
  t.same(timerIdsOf(job!.data).sort(), rows.map((r) => r.id).sort(), 'the job names each of them')
  t.ok(rows.every((r) => r.queued))
  await firedOnce(t, testApp, ids)
})

t.test('the loader does not wait for a timer row a firing holds: it leaves that row to its next round', async (t) => {
  const testApp = await setupApp(t)
  const { db } = testApp
  const { ids } = await dueTogether(testApp, 3, 60_000)
  const { scheduler } = startTestWorker(t, testApp)
  const [held, ...others] = (await responses(testApp, ids)).map((r) => r.id).sort()
  await db.transaction().execute(async (trx) => {
    // As a firing batch does between its claim and its commit.
    await sql`select id from timers where id = ${held} for update`.execute(trx)
    t.equal((await loadDueSoon(db, scheduler, { horizonMs: 120_000 })).loaded, 3, 'the round ends while the row is held')
  })
  const rows = new Map((await responses(testApp, ids)).map((r) => [r.id, r]))
  t.notOk(rows.get(held!)!.queued, 'the held row is not marked')
  t.ok(others.every((id) => rows.get(id)!.queued && rows.get(id)!.jobId), 'the others are, in their group')
  t.equal((await loadDueSoon(db, scheduler, { horizonMs: 120_000 })).loaded, 1, 'the next round adds the held row again')
  t.ok((await responses(testApp, ids)).every((r) => r.queued))
})

t.test('a lost group is re-armed whole, even across the reconciler\'s batches, and each of its timers fires once', async (t) => {
  const testApp = await setupApp(t)
  const { db, redis, prefix } = testApp
  const { ids } = await dueTogether(testApp, 7, 4_000)
  const { scheduler } = startTestWorker(t, testApp)
  await loadDueSoon(db, scheduler, { horizonMs: 60_000 })
  const [lost] = new Set((await responses(testApp, ids)).map((r) => r.jobId))
  // Redis comes back empty (this file's keys only).
  await deleteKeys(redis, `${prefix}:*`)
  // Batches of three: the lost group's seven timers span three of them (and the warnings, due in hours, are beyond
  // the horizon: not the reconciler's).
  const report = await reconcile(db, scheduler, { horizonMs: 60_000, batch: 3 })
  t.same([report.pending, report.rearmed], [7, 7])
  const rows = await responses(testApp, ids)
  t.ok(rows.every((r) => r.jobId !== lost), 'none is left counting on the lost job')
  for (const row of rows) {
    const job = await scheduler.queues[queueOf(row.kind)].getJob(row.jobId ?? row.id)
    t.ok(job && timerIdsOf(job.data).includes(row.id), `${row.id} rides in ${row.jobId ?? 'its own job'}`)
  }
  t.equal((await reconcile(db, scheduler, { horizonMs: 60_000, batch: 3 })).rearmed, 0, 'a second round finds every job in place')
  await firedOnce(t, testApp, ids)
})

t.test('the escalations a deadline batch opens are routed in that batch; the acknowledgement deadlines it arms share a job', async (t) => {
  const testApp = await setupApp(t)
  const { db, user, call, admin } = testApp
  // Acknowledgement within two minutes: inside the horizon, so each escalation's is queued as the batch commits. The
  // promises (and their warnings) are hours away, so they wait in Postgres for the loader as dueTogether says: with
  // fastPolicy's two seconds each was queued at intake as a job of its own, and fired at its own time, alone or not,
  // as the machine's speed had it.
  const hours = { urgent: 'PT4H', high: 'PT4H', normal: 'PT4H', low: 'PT4H' }
  t.equal((await call('PUT', '/v1/sla-policies', admin, fastPolicy({ escalationAck: 'PT2M', response: hours }))).statusCode, 200)
  for (const level of [1, 2, 3]) await user('supervisor', { level })
  const { ids } = await dueTogether(testApp, 8, 2_000)
  t.ok((await responses(testApp, ids)).every((r) => !r.queued), 'the promises wait in Postgres')
  const { scheduler } = startTestWorker(t, testApp)
  await loadDueSoon(db, scheduler, { horizonMs: 60_000 })
  await firedOnce(t, testApp, ids)
  t.equal(new Set((await responses(testApp, ids)).map((r) => r.jobId)).size, 1, 'the promises fell due in one job')
  const routings = await db.selectFrom('timers').select(['id', 'queued', 'jobId', 'firedAt']).where('complaintId', 'in', ids)
    .where('kind', '=', 'route_escalation').execute()
  t.equal(routings.length, ids.length)
  t.ok(routings.every((r) => r.firedAt && !r.queued && r.jobId === null), 'each routing timer written fired, never queued')
  const { rows } = await sql<{ missed: Date; assigned: Date; assignee: string | null }>`
    select max(e.at) filter (where e.type = 'deadline.response_missed') as missed,
      max(e.at) filter (where e.type = 'escalation.assigned') as assigned, max(c.escalation ->> 'assigneeId') as assignee
    from complaint_events e join complaints c on c.id = e.complaint_id
    where e.complaint_id = any(${ids}::uuid[]) group by e.complaint_id`.execute(db)
  t.ok(rows.every((r) => r.assignee), 'every escalation has a supervisor')
  t.ok(rows.every((r) => r.assigned.getTime() === r.missed.getTime()), 'assigned in the transaction that escalated')
  t.equal(await scheduler.queues.escalations.count(), 0, 'no routing job')
  const acks = await db.selectFrom('timers').select(['jobId', 'queued']).where('complaintId', 'in', ids).where('kind', '=', 'escalation_ack').execute()
  t.equal(acks.length, ids.length)
  t.ok(acks.every((a) => a.queued), 'each acknowledgement deadline queued')
  // Those armed by one batch share its job; the deadlines may have fired in more than one batch.
  t.ok(new Set(acks.map((a) => a.jobId ?? a)).size < acks.length, 'fewer jobs than acknowledgement deadlines')
})

import pino from 'pino'
import t from 'tap'
import { loadDueSoon } from '../../src/timers/loader.js'
import { startLoadLoop } from '../../src/timers/load-loop.js'
import { queueOf } from '../../src/timers/jobs.js'
import { reconcile } from '../../src/timers/reconciler.js'
import { aComplaint, deleteKeys, setupApp, type TestApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'

const HOUR = 3_600_000
const silent = pino({ level: 'silent' })

async function timersOf(testApp: TestApp, complaintId: string) {
  return testApp.db.selectFrom('timers').select(['id', 'kind', 'dueAt', 'queued', 'firedAt', 'cancelledAt'])
    .where('complaintId', '=', complaintId).orderBy('dueAt').execute()
}

async function jobOf(scheduler: { queues: Record<string, { getJob: (id: string) => Promise<unknown> }> }, timer: { id: string; kind: string }) {
  return scheduler.queues[queueOf(timer.kind)]!.getJob(timer.id)
}

t.test('a deadline hours away stays in Postgres; the loader queues it once it enters the horizon, once', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const { scheduler } = startTestWorker(t, testApp)
  const timers = await timersOf(testApp, id)
  t.same(timers.map((x) => x.kind).sort(), ['response', 'response_warning'])
  for (const timer of timers) {
    t.equal(timer.queued, false, `${timer.kind} is due ${Math.round((timer.dueAt.getTime() - Date.now()) / HOUR)} h away: not queued`)
    t.equal(await jobOf(scheduler, timer), undefined, `${timer.kind} has no job in Redis`)
  }

  const warning = timers.find((x) => x.kind === 'response_warning')!
  const response = timers.find((x) => x.kind === 'response')!
  // The clock moves to just before the warning enters a five-minute horizon: nothing to load yet.
  const horizonMs = 5 * 60_000
  const before = new Date(warning.dueAt.getTime() - horizonMs - 1_000)
  t.equal((await loadDueSoon(db, scheduler, { horizonMs, now: before })).loaded, 0)
  // Then the warning is within it, the deadline still beyond.
  const entered = new Date(warning.dueAt.getTime() - horizonMs + 1_000)
  t.equal((await loadDueSoon(db, scheduler, { horizonMs, now: entered })).loaded, 1, 'the warning is moved')
  t.ok(await jobOf(scheduler, warning), 'its job is in Redis')
  t.equal(await jobOf(scheduler, response), undefined, 'the deadline, beyond the horizon, is not')
  t.same((await timersOf(testApp, id)).map((x) => [x.kind, x.queued]), [['response_warning', true], ['response', false]])
  t.equal((await loadDueSoon(db, scheduler, { horizonMs, now: entered })).loaded, 0, 'a second round finds nothing new')
})

t.test('deadlines due within the horizon are queued at once; a cancelled one leaves Redis with the commit', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT2M', high: 'PT2M', normal: 'PT2M', low: 'PT2M' } }))
  const agent = await user('agent', { compensationLimit: 500 })
  const { scheduler } = startTestWorker(t, testApp)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const timers = await timersOf(testApp, id)
  t.equal(timers.length, 2)
  for (const timer of timers) {
    t.equal(timer.queued, true, `${timer.kind}, due within two minutes, is queued`)
    t.ok(await jobOf(scheduler, timer), `${timer.kind} has its job`)
  }
  const resolved = await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'replaced the kettle' })
  t.equal(resolved.statusCode, 200, resolved.body)
  for (const timer of timers) t.equal(await jobOf(scheduler, timer), undefined, `${timer.kind}: cancelled, its job is gone`)
})

t.test('a timer entering the horizon is queued by the loop and fires once; a dead loader is replaced within an interval', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db, redis, prefix } = testApp
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const { scheduler } = startTestWorker(t, testApp)
  // The deadline now falls due in two seconds, still in Postgres (as if the clock had moved on for hours).
  await db.updateTable('timers').set({ dueAt: new Date(Date.now() + 2_000) }).where('complaintId', '=', id).where('kind', '=', 'response').execute()
  // A loader took the lock and died: its key stays until it expires.
  const everyMs = 500
  await redis.set(`${prefix}:loader-lock`, 'a-dead-worker', 'PX', everyMs)
  const loop = startLoadLoop({ db, scheduler, redis, everyMs, horizonMs: 10_000, logger: silent })
  t.teardown(loop.close)
  const escalated = await waitFor(async () => {
    const complaint = (await call('GET', `/v1/complaints/${id}`, agent)).json()
    return complaint.state === 'escalated' && complaint
  }, 15_000, 'the deadline to fire')
  t.equal(escalated.escalation.reason, 'deadline_missed')
  const types = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
  t.equal(types.filter((x: string) => x === 'deadline.response_missed').length, 1, 'fired once')
  const response = (await timersOf(testApp, id)).find((x) => x.kind === 'response')!
  t.equal(response.queued, true)
  t.ok(response.firedAt)
})

t.test('after Redis comes back empty, the reconciler re-arms the queued timers within the horizon, not the rest', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db, redis, prefix } = testApp
  const agent = await user('agent')
  const far = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'far' }))).json().id
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT2M', high: 'PT2M', normal: 'PT2M', low: 'PT2M' } }))
  const near = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'near' }))).json().id
  await deleteKeys(redis, `${prefix}:*`)
  const { scheduler } = startTestWorker(t, testApp)
  const report = await reconcile(db, scheduler, { horizonMs: 5 * 60_000 })
  t.equal(report.pending, 2, 'the near complaint\'s deadline and warning; the far one\'s stay in Postgres')
  t.equal(report.rearmed, 2)
  for (const timer of await timersOf(testApp, near)) t.ok(await jobOf(scheduler, timer), `near ${timer.kind} re-armed`)
  for (const timer of await timersOf(testApp, far)) t.equal(await jobOf(scheduler, timer), undefined, `far ${timer.kind} not in Redis`)
})

import t from 'tap'
import { fireTimer } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'

t.test('a cancelled timer never fires', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ followUpAfter: 'PT1H' }))
  const agent = await user('agent')
  const { jobsHandled } = startTestWorker(t, testApp)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'fixed at once' })
  // The cancelled timers' jobs still fall due (in 2 s) and find nothing to claim: wait until they have.
  await jobsHandled(id)
  const types = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
  t.same(types, ['complaint.received', 'complaint.logged', 'complaint.resolved'], 'no deadline fired after the resolution')
  const timers = await db.selectFrom('timers').selectAll().where('complaintId', '=', id).orderBy('id').execute()
  for (const timer of timers.filter((x) => x.kind !== 'follow_up')) {
    t.ok(timer.cancelledAt, `${timer.kind} cancelled`)
    t.equal(timer.firedAt, null, `${timer.kind} never fired`)
  }
})

t.test('a duplicated or retried job does nothing', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const warning = await db.selectFrom('timers').selectAll().where('complaintId', '=', id).where('kind', '=', 'response_warning').executeTakeFirstOrThrow()

  const outcomes = await Promise.all(Array.from({ length: 10 }, () => fireTimer(db, warning.id)))
  t.equal(outcomes.filter((o) => o.outcome === 'fired').length, 1, 'ten concurrent deliveries: one fires')
  t.ok(outcomes.every((o) => o.outcome === 'fired' || o.outcome === 'not_pending'))
  t.equal((await fireTimer(db, warning.id)).outcome, 'not_pending', 'a retry after success does nothing')
  t.equal((await fireTimer(db, 'no-such-timer')).outcome, 'not_pending')
  const events = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items
  t.equal(events.filter((e: { type: string }) => e.type === 'deadline.warning').length, 1)
})

t.test('a timer armed for a state the complaint has left is stale and does nothing', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const response = await db.selectFrom('timers').selectAll().where('complaintId', '=', id).where('kind', '=', 'response').executeTakeFirstOrThrow()
  // Simulate a job that raced a transition: the row is still pending but the complaint moved on.
  await db.updateTable('complaints').set({ state: 'follow_up' }).where('id', '=', id).execute()
  t.equal((await fireTimer(db, response.id)).outcome, 'stale')
  const after = await db.selectFrom('timers').select(['firedAt']).where('id', '=', response.id).executeTakeFirstOrThrow()
  t.ok(after.firedAt, 'claimed, so it is never tried again')
})

t.test('the same job added twice is one job', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db, admin } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT1S', high: 'PT1S', normal: 'PT1S', low: 'PT1S' } }))
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const { scheduler, jobsHandled } = startTestWorker(t, testApp)
  const timers = await db.selectFrom('timers').select(['id', 'kind', 'dueAt']).where('complaintId', '=', id).where('firedAt', 'is', null).where('cancelledAt', 'is', null).execute()
  await scheduler.schedule(timers)
  await scheduler.schedule(timers)
  await waitFor(async () => (await call('GET', `/v1/complaints/${id}`, agent)).json().state === 'escalated', 10_000, 'the deadline')
  await jobsHandled(id)
  const types = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
  t.equal(types.filter((x: string) => x === 'deadline.response_missed').length, 1, 'the deadline fired once')
  // The warning falls due 200 ms before the deadline: on a busy machine both are overdue when the worker gets to
  // them, and the deadline may fire first (in a batch of its own) and cancel the warning, which then says nothing.
  const warning = await db.selectFrom('timers').select(['firedAt', 'cancelledAt']).where('complaintId', '=', id)
    .where('kind', '=', 'response_warning').executeTakeFirstOrThrow()
  t.equal(types.filter((x: string) => x === 'deadline.warning').length, warning.firedAt ? 1 : 0,
    `the warning once if it fired, never if the deadline cancelled it (${warning.firedAt ? 'fired' : 'cancelled'})`)
  t.ok(warning.firedAt || warning.cancelledAt, 'the warning settled')
})

import t from 'tap'
import { reconcile } from '../../src/timers/reconciler.js'
import { aComplaint, deleteKeys, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'

t.test('after Redis loses every job, the reconciler re-arms each pending timer and they all fire', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db, redis, prefix } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT3S', high: 'PT3S', normal: 'PT3S', low: 'PT3S' } }))
  const agent = await user('agent')
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await call('POST', '/v1/complaints', agent, aComplaint({ summary: `broken ${i}` }))).json().id)
  // Redis comes back empty: every delayed job of this service is gone (this file's keys only, as other files run at once).
  await deleteKeys(redis, `${prefix}:*`)
  t.equal((await redis.keys(`${prefix}:*`)).length, 0)

  const { scheduler } = startTestWorker(t, testApp)
  const report = await reconcile(db, scheduler)
  t.equal(report.pending, 10, 'response and warning of five complaints')
  t.equal(report.rearmed, 10)
  t.equal((await reconcile(db, scheduler)).rearmed, 0, 'a second round finds every job in place')

  await waitFor(async () => {
    const states = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/complaints/${id}`, agent)).json().state))
    return states.every((s) => s === 'escalated')
  }, 15_000, 'every deadline to fire')
  for (const id of ids) {
    const types = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
    t.equal(types.filter((x: string) => x === 'deadline.response_missed').length, 1, `${id}: fired once`)
  }
})

t.test('overdue timers fire at once when re-armed, and a process that died before enqueueing loses nothing', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db, prefix, redis } = testApp
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await deleteKeys(redis, `${prefix}:*`)
  // The commit happened, the enqueue did not, and the deadline has passed meanwhile. (Due hours away, the deadline
  // and its warning were left to the loader; this one was queued, as a deadline due within the horizon is.)
  await db.updateTable('timers').set({ dueAt: new Date(Date.now() - 60_000), queued: true })
    .where('complaintId', '=', id).where('kind', '=', 'response').execute()
  const { scheduler } = startTestWorker(t, testApp)
  t.equal((await reconcile(db, scheduler)).rearmed, 1, 'the overdue deadline; its warning, hours away, is still in Postgres')
  const escalated = await waitFor(async () => {
    const c = (await call('GET', `/v1/complaints/${id}`, agent)).json()
    return c.state === 'escalated' && c
  }, 10_000, 'the overdue deadline')
  t.equal(escalated.escalation.reason, 'deadline_missed')
})

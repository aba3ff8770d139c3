import t from 'tap'
import { toAuthUser } from '../../src/auth/auth.plugin.js'
import { ComplaintService } from '../../src/complaints/complaint.service.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'
import { commitPipeline } from '../../src/commit-pipeline.js'

t.test("a received complaint not logged within triage is escalated (not_triaged); logging in time cancels it", async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db, redis, prefix } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ triage: 'PT1H', escalationAck: 'PT1H', response: { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' } }))
  const shop = await user('integration')
  const agent = await user('agent')
  // Triage takes an hour and the test moves the clock: a one-second window raced a busy machine.
  const { dueNow, runJobNow, jobsHandled } = startTestWorker(t, testApp)
  // The webhook intake's path into the service: the complaint stops at received.
  const pipeline = commitPipeline(redis, prefix)
  t.teardown(pipeline.close)
  const service = new ComplaintService({ db, afterCommit: pipeline.afterCommit })
  const integration = toAuthUser(await db.selectFrom('users').selectAll().where('id', '=', shop.id).executeTakeFirstOrThrow())
  const late = (await service.create(integration, { ...aComplaint(), externalRef: 'order-1' }, 'delivery-1', 'received')).record
  const onTime = (await service.create(integration, aComplaint({ summary: 'second' }), 'delivery-2', 'received')).record
  t.equal(late.complaint.state, 'received')
  t.equal(late.complaint.channel, 'webhook')
  t.same(late.timers.map((x) => x.kind), ['triage'])
  t.equal((await call('GET', `/v1/complaints/${late.complaint.id}`, shop)).json().externalRef, 'order-1', 'the integration reads its own')

  const logged = await call('POST', `/v1/complaints/${onTime.complaint.id}/log`, agent, { severity: 'high' })
  t.equal(logged.json().state, 'logged')
  t.notOk(logged.json().deadlines.some((d: { kind: string }) => d.kind === 'triage'), 'logging cancels the triage deadline')

  await dueNow(late.complaint.id, 'triage')
  const escalated = await waitFor(async () => {
    const c = (await call('GET', `/v1/complaints/${late.complaint.id}`, agent)).json()
    return c.state === 'escalated' && c
  }, 10_000, 'the triage deadline')
  t.match(escalated.escalation, { level: 1, reason: 'not_triaged' })
  // Its cancelled triage job still falls due (here: now) and must find nothing to claim.
  await runJobNow(onTime.complaint.id, 'triage')
  await jobsHandled(onTime.complaint.id)
  t.equal((await call('GET', `/v1/complaints/${onTime.complaint.id}`, agent)).json().state, 'logged', 'the logged one never escalated')
})

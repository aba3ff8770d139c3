import t from 'tap'
import { aComplaint } from '../helpers/app.js'
import { fastPolicy, waitFor } from '../helpers/worker.js'
import { setupWebhookApp, startDeliveries, startReceiver, startTimers } from './fixtures/webhooks.js'

t.test('deliveries are enqueued at commit, by the API and by the timer worker, without waiting for the sweep', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, admin, user } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({
    response: { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' }, warnAt: 0.0003,
  }))
  const agent = await user('agent')
  const receiver = await startReceiver(t)
  const endpoint = (await call('POST', '/v1/webhook-endpoints', admin, { url: receiver.url, events: ['complaint.logged', 'deadline.warning'] })).json()
  receiver.setSecret(endpoint.secret)
  // The sweep runs once now, on nothing, and not again for ten minutes.
  const { queue } = startDeliveries(t, testApp, undefined, 600_000)
  startTimers(t, testApp, queue)
  await new Promise((resolve) => setTimeout(resolve, 300))

  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await waitFor(async () => receiver.accepted().length >= 2, 10_000, 'the logged event and the warning')
  t.same(receiver.accepted().map((r) => [r.body.type, r.body.data.complaintId]), [['complaint.logged', id], ['deadline.warning', id]])
  t.ok(receiver.received.every((r) => r.verified))
})

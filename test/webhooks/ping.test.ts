import t from 'tap'
import { waitFor } from '../helpers/worker.js'
import { setupWebhookApp, startDeliveries, startReceiver } from './fixtures/webhooks.js'

t.test('an admin pings an endpoint: a signed ping arrives, retried like any delivery, listed with its deliveries', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, admin, user } = testApp
  const receiver = await startReceiver(t, { failFirst: 1 })
  const created = (await call('POST', '/v1/webhook-endpoints', admin, { url: receiver.url, events: ['complaint.closed'] })).json()
  receiver.setSecret(created.secret)
  startDeliveries(t, testApp)

  const pinged = await call('POST', `/v1/webhook-endpoints/${created.id}/ping`, admin)
  t.equal(pinged.statusCode, 202, pinged.body)
  const { deliveryId } = pinged.json()
  t.match(deliveryId, /^[0-9a-f-]{36}$/)

  await waitFor(async () => receiver.accepted().length === 1, 20_000, 'the ping, after one refused attempt')
  t.equal(receiver.received.length, 2, 'the first attempt was refused (500) and retried')
  const [first, second] = receiver.received
  t.ok(second!.verified, 'signed with the endpoint\'s secret')
  t.equal(first!.webhookId, second!.webhookId, 'one webhook-id for both attempts')
  t.match(second!.body, { type: 'ping', timestamp: String, data: { endpointId: created.id } })

  const listed = await waitFor(async () => {
    const items = (await call('GET', `/v1/webhook-endpoints/${created.id}/deliveries`, admin)).json().items
    return items[0]?.status === 'delivered' && items
  }, 10_000, 'the delivery recorded')
  t.equal(listed.length, 1)
  t.match(listed[0], { id: deliveryId, eventType: 'ping', complaintId: null, seq: 0, webhookId: first!.webhookId })
  t.equal(listed[0].attempts.length, 2)

  const agent = await user('agent')
  t.equal((await call('POST', `/v1/webhook-endpoints/${created.id}/ping`, agent)).statusCode, 403, 'for admins')
  t.equal((await call('POST', '/v1/webhook-endpoints/00000000-0000-4000-8000-000000000000/ping', admin)).statusCode, 404)
  t.equal((await call('PATCH', `/v1/webhook-endpoints/${created.id}`, admin, { active: false })).statusCode, 200)
  const disabled = await call('POST', `/v1/webhook-endpoints/${created.id}/ping`, admin)
  t.equal(disabled.statusCode, 409)
  t.match(disabled.json(), { code: 'conflict', detail: /disabled/ })
})

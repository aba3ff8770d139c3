import t from 'tap'
import { aComplaint } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'
import { anIntegration, setupWebhookApp, signed, startDeliveries, startReceiver, startTimers, type Received } from './fixtures/webhooks.js'

/** Every attempt of one event comes before any attempt of the next event of the same complaint. */
function inOrder(received: Received[]): boolean {
  const last = new Map<string, [number, number]>()
  for (const r of received) {
    const key = r.body.data.complaintId
    const order: [number, number] = [r.body.data.seq, r.body.data.seqIndex]
    const before = last.get(key)
    if (before && (order[0] < before[0] || (order[0] === before[0] && order[1] < before[1]))) return false
    last.set(key, order)
  }
  return true
}

t.test('every event reaches each subscribed endpoint, signed, in order, once per webhook-id, after retries', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { app, call, admin, user, db } = testApp
  const agent = await user('agent')
  // The follow-up call is a colleague's: the resolver may not record it (policy followUpBy: not_resolver).
  const colleague = await user('agent')
  await user('supervisor', { level: 1 })
  const shop = await anIntegration(testApp)
  const everything = await startReceiver(t, { failFirst: 2 })
  const shopHook = await startReceiver(t, { failFirst: 1 })
  const all = (await call('POST', '/v1/webhook-endpoints', admin, { url: everything.url, events: ['complaint.received', 'complaint.logged', 'complaint.resolved', 'follow_up.recorded', 'complaint.closed', 'complaint.escalated', 'escalation.assigned'] })).json()
  everything.setSecret(all.secret)
  const scoped = (await call('POST', '/v1/webhook-endpoints', admin, { url: shopHook.url, events: ['complaint.received', 'complaint.escalated'], integrationId: shop.id })).json()
  shopHook.setSecret(scoped.secret)
  const { queue } = startDeliveries(t, testApp)
  startTimers(t, testApp, queue)

  // A call: received and logged at once, resolved, a satisfied follow-up closes it (two events in one transition).
  const call1 = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${call1.id}/resolve`, agent, { summary: 'replaced the kettle' })
  await call('POST', `/v1/complaints/${call1.id}/follow-up`, colleague, { outcome: 'satisfied', satisfaction: 5 })
  // A web shop's complaint: received through the signed intake, logged, escalated, routed to a supervisor.
  const body = JSON.stringify({ ...aComplaint({ customer: { externalId: 'cust-9' } }), externalRef: 'order-77' })
  const fromShop = (await app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, body), payload: body })).json()
  await call('POST', `/v1/complaints/${fromShop.id}/log`, agent, {})
  await call('POST', `/v1/complaints/${fromShop.id}/escalate`, agent, { reason: 'angry customer' })

  const expected = [
    [call1.id, 'complaint.received'], [call1.id, 'complaint.logged'], [call1.id, 'complaint.resolved'],
    [call1.id, 'follow_up.recorded'], [call1.id, 'complaint.closed'],
    [fromShop.id, 'complaint.received'], [fromShop.id, 'complaint.logged'], [fromShop.id, 'complaint.escalated'],
    [fromShop.id, 'escalation.assigned'],
  ]
  await waitFor(async () => everything.accepted().length >= expected.length && shopHook.accepted().length >= 2, 30_000, 'every event')
  // The worker records each answer just after the receiver gives it; once all are recorded nothing more is sent.
  await waitFor(async () => {
    const unsettled = await db.selectFrom('webhookDeliveries').select('id').where('status', '<>', 'delivered').execute()
    return unsettled.length === 0
  }, 10_000, 'every delivery to be recorded as delivered')

  const accepted = everything.accepted()
  t.same(accepted.map((r) => [r.body.data.complaintId, r.body.type]).sort(), expected.sort(), 'every subscribed event arrived')
  t.equal(new Set(accepted.map((r) => r.webhookId)).size, accepted.length, 'each webhook-id accepted once')
  t.ok(everything.received.every((r) => r.verified), 'every request verifies with the standardwebhooks package')
  t.equal(everything.received.length, expected.length * 3, 'two refusals and a success each')
  t.ok(inOrder(everything.received), 'no event of a complaint was tried before the one ahead of it was delivered')
  const shopEvents = shopHook.accepted().map((r) => [r.body.data.complaintId, r.body.type, r.body.data.reference, r.body.data.state])
  t.same(shopEvents, [
    [fromShop.id, 'complaint.received', fromShop.reference, 'received'],
    [fromShop.id, 'complaint.escalated', fromShop.reference, 'escalated'],
  ], "the integration's endpoint hears of its own complaints only, told at once that it is being handled")

  const closing = accepted.filter((r) => r.body.data.complaintId === call1.id).map((r) => r.body.data)
  t.same(closing.map((d) => [d.seq, d.seqIndex]), [[1, 0], [2, 0], [3, 0], [4, 0], [4, 1]], 'seq and seqIndex order them')
  const received = accepted.find((r) => r.body.data.complaintId === fromShop.id && r.body.type === 'complaint.received')!
  t.match(received.body, { type: 'complaint.received', timestamp: String, data: { reference: fromShop.reference, externalRef: 'order-77', state: 'received', seq: 1 } })

  const listed = await call('GET', `/v1/webhook-endpoints/${all.id}/deliveries?limit=5`, admin)
  t.equal(listed.statusCode, 200)
  const page = listed.json()
  t.equal(page.items.length, 5)
  t.ok(page.nextCursor, 'paged')
  const rest = (await call('GET', `/v1/webhook-endpoints/${all.id}/deliveries?limit=50&cursor=${page.nextCursor}`, admin)).json()
  const deliveries = [...page.items, ...rest.items]
  t.equal(deliveries.length, expected.length)
  t.equal(new Set(deliveries.map((d: { id: string }) => d.id)).size, expected.length, 'no delivery on two pages')
  for (const delivery of deliveries) {
    t.equal(delivery.status, 'delivered')
    t.same(delivery.attempts.map((a: { n: number; statusCode: number }) => [a.n, a.statusCode]), [[1, 500], [2, 500], [3, 200]], `${delivery.eventType}: its attempts`)
  }
  t.equal((await call('GET', `/v1/webhook-endpoints/${all.id}/deliveries?status=pending`, admin)).json().items.length, 0)
  t.equal((await call('GET', `/v1/webhook-endpoints/${all.id}/deliveries?cursor=bogus`, admin)).json().code, 'validation_failed')
  const health = await db.selectFrom('webhookEndpoints').select(['consecutiveFailures', 'failingSince']).where('id', '=', all.id).executeTakeFirstOrThrow()
  t.same(health, { consecutiveFailures: 0, failingSince: null }, 'a success clears the failure run')
})

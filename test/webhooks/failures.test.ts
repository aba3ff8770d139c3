import t from 'tap'
import { aComplaint } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'
import { FAST, setupWebhookApp, startDeliveries, startReceiver } from './fixtures/webhooks.js'

const EVENTS = ['complaint.received', 'complaint.logged', 'complaint.resolved']

async function endpointFor(testApp: Awaited<ReturnType<typeof setupWebhookApp>>, receiver: Awaited<ReturnType<typeof startReceiver>>, events = EVENTS) {
  const endpoint = (await testApp.call('POST', '/v1/webhook-endpoints', testApp.admin, { url: receiver.url, events })).json()
  receiver.setSecret(endpoint.secret)
  return endpoint as { id: string; secret: string }
}

async function deliveries(testApp: Awaited<ReturnType<typeof setupWebhookApp>>, endpointId: string) {
  const items = (await testApp.call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`, testApp.admin)).json().items
  return items as { id: string; webhookId: string; eventType: string; status: string; attempts: { n: number; statusCode: number | null; error: string | null; finishedAt: string | null }[] }[]
}

t.test('a 410 disables the endpoint at once and cancels what was pending for it', async (t) => {
  const testApp = await setupWebhookApp(t)
  const agent = await testApp.user('agent')
  const receiver = await startReceiver(t, { answer: () => 410 })
  const endpoint = await endpointFor(testApp, receiver)
  const { id } = (await testApp.call('POST', '/v1/complaints', agent, aComplaint())).json()
  startDeliveries(t, testApp)
  await waitFor(async () => (await testApp.call('GET', `/v1/webhook-endpoints/${endpoint.id}`, testApp.admin)).json().active === false, 10_000, 'the endpoint to be disabled')
  t.match((await testApp.call('GET', `/v1/webhook-endpoints/${endpoint.id}`, testApp.admin)).json(), { disabledReason: 'gone', disabledAt: String })
  t.equal(receiver.received.length, 1, 'one request, no retry')
  const list = await deliveries(testApp, endpoint.id)
  t.same(list.map((d) => [d.eventType, d.status]).sort(), [['complaint.logged', 'cancelled'], ['complaint.received', 'failed']])
  await testApp.call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'done' })
  t.equal((await deliveries(testApp, endpoint.id)).length, 2, 'a disabled endpoint is sent nothing new')
  const replay = await testApp.call('POST', `/v1/webhook-endpoints/${endpoint.id}/deliveries/${list[0]!.id}/replay`, testApp.admin)
  t.equal(replay.statusCode, 409, 'a disabled endpoint takes no replay')
  t.equal(replay.json().code, 'conflict')
})

t.test('a long run of failures disables the endpoint', async (t) => {
  const settings = { ...FAST, WEBHOOK_DISABLE_AFTER_FAILURES: 3, WEBHOOK_DISABLE_AFTER_MS: 1 }
  const testApp = await setupWebhookApp(t, settings)
  const agent = await testApp.user('agent')
  const receiver = await startReceiver(t, { answer: () => 503 })
  const endpoint = await endpointFor(testApp, receiver)
  await testApp.call('POST', '/v1/complaints', agent, aComplaint())
  startDeliveries(t, testApp, settings)
  await waitFor(async () => (await testApp.call('GET', `/v1/webhook-endpoints/${endpoint.id}`, testApp.admin)).json().disabledReason === 'failing', 10_000, 'the endpoint to be disabled')
  t.equal(receiver.received.length, 3, 'after three failed attempts in a row')
  t.same((await deliveries(testApp, endpoint.id)).map((d) => d.status).sort(), ['cancelled', 'failed'])

  const restarted = await testApp.call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, testApp.admin, { active: true })
  t.match(restarted.json(), { active: true, disabledReason: null })
  const health = await testApp.db.selectFrom('webhookEndpoints').select(['consecutiveFailures']).where('id', '=', endpoint.id).executeTakeFirstOrThrow()
  t.equal(health.consecutiveFailures, 0, 'starting it again clears its record')
})

t.test('retries stop at the end of the retry window; a replay by hand sends the same webhook-id again', async (t) => {
  // The window (a minute from the event's write) is judged by the worker's clock, which the test moves past it once
  // two attempts have failed: however slow the machine, the retries come first and the give-up after.
  const settings = { ...FAST, WEBHOOK_RETRY_FOR_MS: 60_000 }
  const testApp = await setupWebhookApp(t, settings)
  const agent = await testApp.user('agent')
  let down = true
  const receiver = await startReceiver(t, { answer: () => (down ? 500 : 200) })
  const endpoint = await endpointFor(testApp, receiver)
  let ahead = 0
  startDeliveries(t, testApp, settings, 500, 8, () => new Date(Date.now() + ahead))
  await testApp.call('POST', '/v1/complaints', agent, aComplaint())
  const attemptsOf = async () => (await deliveries(testApp, endpoint.id)).find((d) => d.eventType === 'complaint.received')?.attempts.length ?? 0
  await waitFor(async () => (await attemptsOf()) >= 2, 15_000, 'a first retry')
  const pending = (await deliveries(testApp, endpoint.id)).filter((d) => d.status === 'pending')
  t.ok(pending.length > 0, 'inside the window, failed attempts are retried')
  ahead = settings.WEBHOOK_RETRY_FOR_MS
  await waitFor(async () => (await deliveries(testApp, endpoint.id)).every((d) => d.status === 'failed'), 15_000, 'both deliveries to give up')
  const failed = await deliveries(testApp, endpoint.id)
  const received = failed.find((d) => d.eventType === 'complaint.received')!
  t.ok(received.attempts.length >= 3, `retried (${received.attempts.length} attempts), then gave up once past the window`)
  t.ok(received.attempts.every((a) => a.statusCode === 500 && a.finishedAt))
  const byId = receiver.received.filter((r) => r.webhookId === received.webhookId)
  const gaps = byId.slice(1).map((r, i) => r.at - byId[i]!.at)
  t.ok(gaps.every((gap) => gap >= 100), `backed off between attempts (${gaps.join(', ')} ms)`)
  t.equal((await testApp.call('GET', `/v1/webhook-endpoints/${endpoint.id}`, testApp.admin)).json().active, true, 'one give-up does not disable the endpoint')

  down = false
  const replay = await testApp.call('POST', `/v1/webhook-endpoints/${endpoint.id}/deliveries/${received.id}/replay`, testApp.admin)
  t.equal(replay.statusCode, 202)
  t.match(replay.json(), { id: received.id, status: 'pending', webhookId: received.webhookId })
  await waitFor(async () => (await deliveries(testApp, endpoint.id)).find((d) => d.id === received.id)!.status === 'delivered', 10_000, 'the replay')
  const last = receiver.received.at(-1)!
  t.equal(last.webhookId, received.webhookId, 'the same webhook-id')
  t.ok(last.verified, 'signed again, with a new timestamp')
  const after = (await deliveries(testApp, endpoint.id)).find((d) => d.id === received.id)!
  t.equal(after.attempts.at(-1)!.statusCode, 200)
  t.equal(after.attempts.length, received.attempts.length + 1, 'the replay is one more attempt on the record')

  t.equal((await testApp.call('POST', `/v1/webhook-endpoints/${endpoint.id}/deliveries/6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a/replay`, testApp.admin)).statusCode, 404)
})

t.test('a receiver that does not answer times out', async (t) => {
  const settings = { ...FAST, WEBHOOK_TIMEOUT_MS: 300, WEBHOOK_RETRY_FOR_MS: 400 }
  const testApp = await setupWebhookApp(t, settings)
  const agent = await testApp.user('agent')
  const hanging = await startReceiver(t, { answer: () => 'hang' })
  const slow = await endpointFor(testApp, hanging, ['complaint.received'])
  await testApp.call('POST', '/v1/complaints', agent, aComplaint())
  startDeliveries(t, testApp, settings)
  await waitFor(async () => (await deliveries(testApp, slow.id))[0]?.status === 'failed', 15_000, 'the delivery to give up')
  const timedOut = (await deliveries(testApp, slow.id))[0]!
  t.match(timedOut.attempts[0], { statusCode: null, error: /no answer within 300 ms/ })
  t.ok(timedOut.attempts[0]!.finishedAt, 'the attempt is recorded as finished')
})

t.test('an address off the worker\'s allow-list is never contacted, by IP or by a name that resolves to it', async (t) => {
  const settings = { ...FAST, WEBHOOK_RETRY_FOR_MS: 300 }
  const testApp = await setupWebhookApp(t, { ...settings, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost' })
  const agent = await testApp.user('agent')
  const receiver = await startReceiver(t)
  const byIp = await endpointFor(testApp, receiver, ['complaint.received'])
  const byName = await endpointFor(testApp, receiver, ['complaint.received'])
  t.equal((await testApp.call('PATCH', `/v1/webhook-endpoints/${byName.id}`, testApp.admin, { url: receiver.url.replace('127.0.0.1', 'localhost') })).statusCode, 200)
  await testApp.call('POST', '/v1/complaints', agent, aComplaint())
  // The worker is configured apart from the API (here: an allow-list that no longer names loopback).
  startDeliveries(t, testApp, { ...settings, WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/8' })
  const settled = async (id: string) => (await deliveries(testApp, id))[0]?.status === 'failed'
  await waitFor(async () => (await settled(byIp.id)) && (await settled(byName.id)), 15_000, 'both to give up')
  t.match((await deliveries(testApp, byIp.id))[0]!.attempts[0], { statusCode: null, error: /private, loopback or reserved address/ })
  t.match((await deliveries(testApp, byName.id))[0]!.attempts[0], { statusCode: null, error: /localhost resolves to .* not allowed/ })
  t.equal(receiver.received.length, 0, 'nothing reached the receiver')
})

import t from 'tap'
import { aComplaint } from '../helpers/app.js'
import { anIntegration, setupWebhookApp, signed } from './fixtures/webhooks.js'

t.test("the customer's reply through the webhook restarts the response clock, once per webhook-id", async (t) => {
  const testApp = await setupWebhookApp(t)
  const { app, call, user } = testApp
  const shop = await anIntegration(testApp)
  const agent = await user('agent')
  const body = JSON.stringify({ ...aComplaint(), externalRef: 'order-7' })
  const { id } = (await app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, body), payload: body })).json()
  await call('POST', `/v1/complaints/${id}/log`, agent, { severity: 'high' })
  const reply = (text: string, webhookId: string, integration = shop) => {
    const payload = JSON.stringify({ text })
    return app.inject({
      method: 'POST', url: `/v1/webhooks/${integration.id}/complaints/${id}/replies`, headers: signed(integration.secret, payload, { id: webhookId }), payload,
    })
  }

  const notWaiting = await reply('here is my receipt', 'msg_early')
  t.equal(notWaiting.statusCode, 409, 'nothing to resume before the agent waits for the customer')
  t.equal(notWaiting.json().code, 'invalid_transition')

  const waiting = (await call('POST', `/v1/complaints/${id}/await-customer`, agent, { note: 'asked for the receipt' })).json()
  t.ok(waiting.clockPausedAt)
  const resumed = await reply('here is my receipt', 'msg_reply')
  t.equal(resumed.statusCode, 200, resumed.body)
  t.equal(resumed.json().clockPausedAt, null, 'the clock runs again')
  t.same(resumed.json().deadlines.map((d: { kind: string }) => d.kind).sort(), ['response', 'response_warning'])

  const again = await reply('here is my receipt', 'msg_reply')
  t.equal(again.statusCode, 200, 'a redelivery answers with the complaint')
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.json().version, resumed.json().version, 'and changes nothing')

  // Redelivered twice at once: one resumes the clock, the other answers with the same complaint, neither is refused.
  await call('POST', `/v1/complaints/${id}/await-customer`, agent, { note: 'asked again' })
  const both = await Promise.all([reply('a second reply', 'msg_twice'), reply('a second reply', 'msg_twice')])
  t.same(both.map((r) => r.statusCode), [200, 200], both.map((r) => r.body).join(' | '))
  t.same(both.map((r) => r.headers['idempotent-replayed'] ?? 'no').sort(), ['no', 'true'], 'one resumed, one replayed')
  t.equal(both[0]!.json().version, both[1]!.json().version)

  const forged = await app.inject({
    method: 'POST', url: `/v1/webhooks/${shop.id}/complaints/${id}/replies`,
    headers: signed('whsec_' + Buffer.alloc(32, 7).toString('base64'), '{"text":"x"}'), payload: '{"text":"x"}',
  })
  t.equal(forged.statusCode, 401)
  t.equal(forged.json().code, 'invalid_signature')
  const stranger = await anIntegration(testApp)
  t.equal((await reply('not mine', 'msg_other', stranger)).statusCode, 404, 'only the integration that sent the complaint')

  const events = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items
  const resumedEvents = events.filter((e: { type: string }) => e.type === 'complaint.resumed')
  t.equal(resumedEvents.length, 2, 'once per webhook-id')
  t.same(resumedEvents[0].actor, { id: shop.id, role: 'integration' })
  t.equal(resumedEvents[0].data.note, 'here is my receipt')
})

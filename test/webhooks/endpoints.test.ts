import t from 'tap'
import { setupApp } from '../helpers/app.js'
import { anIntegration, FAST, setupWebhookApp } from './fixtures/webhooks.js'

const HOOK = 'http://127.0.0.1:9/hooks'

t.test('admins register, read, change and remove endpoints; the secret is shown once', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, admin, user } = testApp
  const shop = await anIntegration(testApp)
  const created = await call('POST', '/v1/webhook-endpoints', admin, { url: HOOK, events: ['complaint.received', 'complaint.closed'], integrationId: shop.id, description: 'the shop' })
  t.equal(created.statusCode, 201)
  const endpoint = created.json()
  t.match(endpoint, { url: HOOK, events: ['complaint.received', 'complaint.closed'], integrationId: shop.id, active: true, disabledReason: null })
  t.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.equal(created.headers.location, `/v1/webhook-endpoints/${endpoint.id}`)

  const listed = (await call('GET', '/v1/webhook-endpoints', admin)).json().items
  t.equal(listed.length, 1)
  t.notOk('secret' in listed[0], 'the list never shows the secret')
  t.notOk('secret' in (await call('GET', `/v1/webhook-endpoints/${endpoint.id}`, admin)).json())

  const stopped = await call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, admin, { active: false, events: ['complaint.closed'] })
  t.match(stopped.json(), { active: false, disabledReason: 'manual', events: ['complaint.closed'], disabledAt: String })
  const restarted = await call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, admin, { active: true, integrationId: null })
  t.match(restarted.json(), { active: true, disabledReason: null, disabledAt: null, integrationId: null })

  t.equal((await call('DELETE', `/v1/webhook-endpoints/${endpoint.id}`, admin)).statusCode, 204)
  t.equal((await call('GET', `/v1/webhook-endpoints/${endpoint.id}`, admin)).statusCode, 404)
  t.equal((await call('DELETE', `/v1/webhook-endpoints/${endpoint.id}`, admin)).statusCode, 404)
  t.equal((await call('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, admin)).statusCode, 404)
  t.same((await call('GET', '/v1/webhook-endpoints', admin)).json().items, [])

  const agent = await user('agent')
  for (const [method, url] of [['GET', '/v1/webhook-endpoints'], ['POST', '/v1/webhook-endpoints']]) {
    t.equal((await call(method!, url!, agent, method === 'POST' ? { url: HOOK, events: ['complaint.closed'] } : undefined)).statusCode, 403, `${method} ${url} is for admins`)
  }
})

t.test('bad endpoints are refused field by field', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, admin, user } = testApp
  const agent = await user('agent')
  const bad: [label: string, body: Record<string, unknown>, field: string][] = [
    ['an unknown event type', { url: HOOK, events: ['complaint.exploded'] }, 'body.events.0'],
    ['no events', { url: HOOK, events: [] }, 'body.events'],
    ['not a URL', { url: 'not a url', events: ['complaint.closed'] }, 'body.url'],
    ['another scheme', { url: 'ftp://example.com/x', events: ['complaint.closed'] }, 'body.url'],
    ['credentials in the URL', { url: 'https://user:pw@example.com/x', events: ['complaint.closed'] }, 'body.url'],
    ['a private address not on the allow-list', { url: 'http://10.1.2.3/x', events: ['complaint.closed'] }, 'body.url'],
    ['cloud metadata', { url: 'http://169.254.169.254/latest', events: ['complaint.closed'] }, 'body.url'],
    ['IPv6 loopback', { url: 'http://[::1]:8080/x', events: ['complaint.closed'] }, 'body.url'],
    ['an integration that is not one', { url: HOOK, events: ['complaint.closed'], integrationId: agent.id }, 'body.integrationId'],
  ]
  for (const [label, body, field] of bad) {
    const response = await call('POST', '/v1/webhook-endpoints', admin, body)
    t.equal(response.statusCode, 400, label)
    t.equal(response.json().code, 'validation_failed', label)
    t.ok(response.json().errors.some((e: { field: string }) => e.field === field), `${label} names ${field}`)
  }
  t.same((await call('GET', '/v1/webhook-endpoints', admin)).json().items, [], 'none was created')
})

t.test('without an allow-list, loopback is refused; with one, it is accepted', async (t) => {
  const plain = await setupApp(t)
  const refused = await plain.call('POST', '/v1/webhook-endpoints', plain.admin, { url: HOOK, events: ['complaint.closed'] })
  t.equal(refused.statusCode, 400)
  t.match(refused.json().errors[0].message, /WEBHOOK_ALLOWED_HOSTS/)
  const allowed = await setupWebhookApp(t, { ...FAST, WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/8,127.0.0.1' })
  t.equal((await allowed.call('POST', '/v1/webhook-endpoints', allowed.admin, { url: 'http://10.9.8.7/x', events: ['complaint.closed'] })).statusCode, 201)
  t.equal((await allowed.call('POST', '/v1/webhook-endpoints', allowed.admin, { url: 'https://hooks.example.com/x', events: ['complaint.closed'] })).statusCode, 201, 'public names always')
})

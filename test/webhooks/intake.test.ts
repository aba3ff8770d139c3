import t from 'tap'
import { aComplaint } from '../helpers/app.js'
import { anIntegration, count, setupWebhookApp, signed } from './fixtures/webhooks.js'

const INTAKE = (id: string) => `/v1/webhooks/${id}/complaints`
const TABLES = ['complaints', 'complaintEvents', 'idempotencyKeys', 'customers', 'webhookEvents'] as const

t.test('a signed complaint lands in received; a redelivery of its webhook-id answers 200 with the same complaint', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { app, call } = testApp
  const shop = await anIntegration(testApp)
  const body = JSON.stringify({ ...aComplaint(), severity: 'high', externalRef: 'order-1' })
  const headers = signed(shop.secret, body, { id: 'msg_first' })

  const first = await app.inject({ method: 'POST', url: INTAKE(shop.id), headers, payload: body })
  t.equal(first.statusCode, 202)
  const complaint = first.json()
  t.match(complaint, { state: 'received', channel: 'webhook', externalRef: 'order-1', severity: 'high', reference: /^C-\d{8}-\d{6}$/ })
  t.same(complaint.deadlines.map((d: { kind: string }) => d.kind), ['triage'], 'with its triage deadline')
  t.equal(first.headers.location, `/v1/complaints/${complaint.id}`)

  // A sender's retry is signed again, with a new timestamp: still the same message.
  const again = await app.inject({ method: 'POST', url: INTAKE(shop.id), headers: signed(shop.secret, body, { id: 'msg_first', at: new Date(Date.now() + 2_000) }), payload: body })
  t.equal(again.statusCode, 200)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.json().id, complaint.id)
  t.equal(await count(testApp, 'complaints'), 1, 'created once')

  const reused = JSON.stringify({ ...aComplaint({ summary: 'something else' }) })
  const mismatch = await app.inject({ method: 'POST', url: INTAKE(shop.id), headers: signed(shop.secret, reused, { id: 'msg_first' }), payload: reused })
  t.equal(mismatch.statusCode, 422)
  t.equal(mismatch.json().code, 'idempotency_mismatch')

  t.equal((await call('GET', `/v1/complaints/${complaint.id}`, shop)).statusCode, 200, 'the integration reads what it created')
  const other = await anIntegration(testApp)
  t.equal((await call('GET', `/v1/complaints/${complaint.id}`, other)).statusCode, 404, 'and another integration does not')
  t.same((await call('GET', '/v1/complaints', other)).json().items, [])
})

t.test('each refusal is its own problem+json and creates nothing', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { app, call, user } = testApp
  const shop = await anIntegration(testApp)
  const retired = await anIntegration(testApp)
  await call('PATCH', `/v1/users/${retired.id}`, testApp.admin, { active: false })
  const agent = await user('agent')
  const body = JSON.stringify(aComplaint())
  const before = await Promise.all(TABLES.map((table) => count(testApp, table)))
  const sixMinutes = 6 * 60_000
  const post = (url: string, headers: Record<string, string>, payload: string) => app.inject({ method: 'POST', url, headers, payload })

  const cases: [label: string, send: () => ReturnType<typeof post>, status: number, code: string, detail?: RegExp][] = [
    ['a signature made with another secret', () => post(INTAKE(shop.id), signed(retired.secret, body), body), 401, 'invalid_signature', /no signature matches/],
    ['a stale timestamp', () => post(INTAKE(shop.id), signed(shop.secret, body, { at: new Date(Date.now() - sixMinutes) }), body), 401, 'invalid_signature', /5 minutes/],
    ['a timestamp from the future', () => post(INTAKE(shop.id), signed(shop.secret, body, { at: new Date(Date.now() + sixMinutes) }), body), 401, 'invalid_signature', /5 minutes/],
    ['a tampered body', () => post(INTAKE(shop.id), signed(shop.secret, body), body.replace('damaged', 'stolen')), 401, 'invalid_signature', /exact request body/],
    ['a body re-serialised (whitespace)', () => post(INTAKE(shop.id), signed(shop.secret, body), JSON.stringify(JSON.parse(body), null, 1)), 401, 'invalid_signature'],
    ['no signature headers', () => post(INTAKE(shop.id), { 'content-type': 'application/json' }, body), 401, 'invalid_signature', /webhook-id/],
    ['a timestamp that is not a number', () => post(INTAKE(shop.id), { ...signed(shop.secret, body), 'webhook-timestamp': 'yesterday' }, body), 401, 'invalid_signature'],
    ['an unknown integration', () => post(INTAKE('6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a'), signed(shop.secret, body), body), 404, 'not_found'],
    ['an integration id that is not a uuid', () => post(INTAKE('shop-1'), signed(shop.secret, body), body), 404, 'not_found'],
    ['a deactivated integration', () => post(INTAKE(retired.id), signed(retired.secret, body), body), 404, 'not_found'],
    ['a user that is not an integration', () => post(INTAKE(agent.id), signed(shop.secret, body), body), 404, 'not_found'],
    ['an oversized body', () => {
      const big = JSON.stringify(aComplaint({ description: 'x'.repeat(70_000) }))
      return post(INTAKE(shop.id), signed(shop.secret, big), big)
    }, 413, 'payload_too_large'],
    ['a wrong content type', () => post(INTAKE(shop.id), { ...signed(shop.secret, body), 'content-type': 'text/plain' }, body), 415, 'unsupported_media_type'],
    ['a form body', () => post(INTAKE(shop.id), { ...signed(shop.secret, 'a=1'), 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'), 415, 'unsupported_media_type'],
    ['signed JSON that does not parse', () => post(INTAKE(shop.id), signed(shop.secret, '{"customer":'), '{"customer":'), 400, 'invalid_json'],
    ['a signed empty body', () => post(INTAKE(shop.id), signed(shop.secret, ''), ''), 400, 'invalid_json'],
    ['a signed body that fails the schema', () => {
      const bad = JSON.stringify({ customer: {}, category: '', summary: 'x', channel: 'phone' })
      return post(INTAKE(shop.id), signed(shop.secret, bad), bad)
    }, 400, 'validation_failed'],
    ['signed text Postgres cannot store', () => {
      const nul = JSON.stringify(aComplaint({ summary: 'a\u0000b' }))
      return post(INTAKE(shop.id), signed(shop.secret, nul), nul)
    }, 400, 'validation_failed'],
  ]
  for (const [label, send, status, code, detail] of cases) {
    const response = await send()
    t.equal(response.statusCode, status, `${label}: ${status}`)
    t.match(response.headers['content-type'], /^application\/problem\+json/, `${label}: problem+json`)
    const problem = response.json()
    t.match(problem, { code, status, type: `/problems/${code}`, title: String, detail: String }, `${label}: ${code}`)
    if (detail) t.match(problem.detail, detail, `${label}: says why`)
    if (code === 'validation_failed') t.ok(problem.errors.length > 0, `${label}: names the fields`)
  }
  t.same(await Promise.all(TABLES.map((table) => count(testApp, table))), before, 'nothing was created by any refusal')
})

t.test('the rate limit holds per integration across API processes', async (t) => {
  const testApp = await setupWebhookApp(t, { WEBHOOK_RATE_LIMIT: 3 })
  const other = await testApp.build({ WEBHOOK_RATE_LIMIT: 3 })
  const shop = await anIntegration(testApp)
  const neighbour = await anIntegration(testApp)
  const send = (app: typeof other, integration: { id: string; secret: string }, i: number) => {
    const body = JSON.stringify(aComplaint({ summary: `case ${i}` }))
    return app.inject({ method: 'POST', url: INTAKE(integration.id), headers: signed(integration.secret, body), payload: body })
  }
  const forged = JSON.stringify(aComplaint())
  for (let i = 0; i < 5; i++) {
    const refused = await testApp.app.inject({ method: 'POST', url: INTAKE(shop.id), headers: signed(neighbour.secret, forged), payload: forged })
    t.equal(refused.statusCode, 401, 'a forged request is refused')
  }
  // ...and does not count: only signed requests use up the integration's allowance.
  const statuses = []
  for (let i = 0; i < 5; i++) statuses.push((await send(i % 2 === 0 ? testApp.app : other, shop, i)).statusCode)
  t.same(statuses, [202, 202, 202, 429, 429], 'three a minute, whichever process answers')
  const limited = await send(other, shop, 9)
  t.equal(limited.json().code, 'rate_limited')
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, 'with Retry-After in seconds')
  t.equal((await send(testApp.app, neighbour, 1)).statusCode, 202, 'another integration has its own allowance')
  t.equal(await count(testApp, 'complaints'), 4)
})

t.test('rotating the secret: the new one works at once, the old one until its grace ends', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { app, call, admin, db, user } = testApp
  const shop = await anIntegration(testApp)
  const rotated = await call('POST', `/v1/users/${shop.id}/webhook-secret/rotate`, admin)
  t.equal(rotated.statusCode, 200)
  const { webhookSecret, previousSecretValidUntil } = rotated.json()
  t.match(webhookSecret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.not(webhookSecret, shop.secret)
  t.ok(Math.abs(new Date(previousSecretValidUntil).getTime() - Date.now() - 24 * 3_600_000) < 60_000, 'a day of grace by default')

  const post = (secret: string, i: number) => {
    const body = JSON.stringify(aComplaint({ summary: `case ${i}` }))
    return app.inject({ method: 'POST', url: INTAKE(shop.id), headers: signed(secret, body), payload: body })
  }
  t.equal((await post(webhookSecret, 1)).statusCode, 202, 'the new secret')
  t.equal((await post(shop.secret, 2)).statusCode, 202, 'the old secret, within its grace')
  await db.updateTable('webhookPreviousSecrets').set({ validUntil: new Date(Date.now() - 1_000) }).where('userId', '=', shop.id).execute()
  const late = await post(shop.secret, 3)
  t.equal(late.statusCode, 401, 'the old secret after its grace')
  t.equal(late.json().code, 'invalid_signature')

  const again = (await call('POST', `/v1/users/${shop.id}/webhook-secret/rotate`, admin)).json()
  t.equal((await post(webhookSecret, 4)).statusCode, 202, 'rotating again keeps the one before valid for its grace')
  t.equal((await post(again.webhookSecret, 5)).statusCode, 202)

  const agent = await user('agent')
  t.equal((await call('POST', `/v1/users/${agent.id}/webhook-secret/rotate`, admin)).json().code, 'conflict', 'only integrations have one')
  t.equal((await call('POST', '/v1/users/6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a/webhook-secret/rotate', admin)).statusCode, 404)
  t.equal((await call('POST', `/v1/users/${shop.id}/webhook-secret/rotate`, agent)).statusCode, 403, 'admins only')
  t.equal((await call('POST', `/v1/users/${shop.id}/webhook-secret/rotate`, shop)).statusCode, 403)
})

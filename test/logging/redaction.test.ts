import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

// debug level: the most the app ever writes, so nothing hides behind the level.
const { call, user, logs, admin } = await setupApp(t, {
  logLevel: 'debug',
  extend: (app) => {
    // What pg throws on a unique violation: the row's values sit in `detail`.
    app.get('/test/duplicate', { config: { public: true }, schema: { hide: true } }, async () => {
      throw Object.assign(new Error('duplicate key value violates unique constraint "customers_phone_key"'), {
        code: '23505', detail: 'Key (phone)=(+8613800138000) already exists.', parameters: ['+8613800138000', 'li@example.com'],
      })
    })
  },
})

const PHONE_TYPED = '+86 138-0013 8000'
const PHONE_FORMS = ['+8613800138000', '8613800138000', '13800138000', '138-0013', '138 0013', '0013 8000', '%2B86']
const EMAIL = 'Li.Wei.Private@Example.COM'

t.test('no token, phone or email reaches the logs', async (t) => {
  const start = logs.length
  const agent = await user('agent')
  const body = aComplaint({ customer: { name: 'Li Wei', phone: PHONE_TYPED, email: EMAIL }, summary: 'Kettle leaks' })
  const created = await call('POST', '/v1/complaints', agent, body, { 'x-request-id': 'create-1' })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.json().customer.phone, '+8613800138000')

  for (const phone of [PHONE_TYPED, '+8613800138000', '+86 13800138000']) {
    const url = `/v1/complaints?customerPhone=${encodeURIComponent(phone)}&q=${encodeURIComponent(EMAIL)}`
    const listed = await call('GET', url, agent, undefined, { 'x-request-id': 'list-1' })
    t.equal(listed.statusCode, 200, listed.body)
  }
  const refused = await call('GET', `/v1/complaints?customerPhone=${encodeURIComponent(PHONE_TYPED)}&limit=0`, agent)
  t.equal(refused.statusCode, 400, 'a refused request is logged too')
  const badPhone = await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 138 0013 80009999', email: EMAIL } }))
  t.equal(badPhone.statusCode, 400, 'an invalid phone is refused and logged')
  const withBadToken = await call('GET', '/v1/complaints', null, undefined, { authorization: `Bearer ${agent.token}x` })
  t.equal(withBadToken.statusCode, 401)

  const written = logs.slice(start)
  t.ok(written.length >= 12, `the requests were logged (${written.length} lines)`)
  const text = written.join('\n')
  for (const line of written) JSON.parse(line)
  t.ok(written.some((l) => l.includes('"reqId":"create-1"')), 'the create request id is logged')
  t.ok(written.some((l) => l.includes('"reqId":"list-1"')), 'the list request id is logged')
  t.ok(written.some((l) => l.includes('/v1/complaints?customerPhone=[redacted]')), 'the list URL is logged, with its query redacted')

  t.notMatch(text, agent.token, 'the created user token')
  t.notMatch(text, admin.token, 'the admin token')
  t.notMatch(text, /Bearer/i, 'no Authorization header')
  for (const form of [PHONE_TYPED, ...PHONE_FORMS, '80009999']) t.notMatch(text, form, `phone as ${form}`)
  t.notMatch(text.toLowerCase(), EMAIL.toLowerCase(), 'email')
  t.notMatch(text.toLowerCase(), encodeURIComponent(EMAIL).toLowerCase(), 'url-encoded email')
})

t.test('a database error is logged without the row values it carries', async (t) => {
  const start = logs.length
  const response = await call('GET', '/test/duplicate', null)
  t.equal(response.statusCode, 500)
  const text = logs.slice(start).join('\n')
  t.match(text, /customers_phone_key/, 'the error itself is logged')
  t.notMatch(text, '8613800138000')
  t.notMatch(text, 'li@example.com')
})

t.test('a refusal is logged with its code but without the caller token', async (t) => {
  const start = logs.length
  const response = await call('GET', '/v1/complaints/00000000-0000-4000-8000-000000000000', admin)
  t.equal(response.statusCode, 404)
  const text = logs.slice(start).join('\n')
  t.ok(text.includes('request refused'), 'a refusal is logged with its code')
  t.match(text, /"code":"not_found"/)
  t.notMatch(text, admin.token)
})

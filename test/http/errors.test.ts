import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { aComplaint, setupApp, TEST_BODY_LIMIT } from '../helpers/app.js'
import { TITLES } from '../../src/http/problem.js'

const SECRET_SQL = 'select * from users where token_hash = $1'

const { call, user } = await setupApp(t, {
  extend: (app) => {
    app.get('/test/boom', { config: { public: true }, schema: { hide: true } }, async () => {
      throw new Error(`relation "users" does not exist: ${SECRET_SQL}`)
    })
  },
})
const agent = await user('agent')
const admin = await user('admin')
const json = { 'content-type': 'application/json' }

/** Asserts an RFC 9457 problem with the given status and code, and answers its body. */
function problem(t: Test, response: LightMyRequestResponse, status: number, code: string) {
  t.equal(response.statusCode, status, `${status} ${code}: ${response.body}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  const body = response.json()
  t.match(body, { type: String, title: String, status, detail: String, code })
  t.equal(body.type, `/problems/${code}`, 'a relative reference to the page this server serves for the code')
  return body
}

t.test('unknown route: 404 not_found, with or without credentials', async (t) => {
  problem(t, await call('GET', '/v1/nothing-here', agent), 404, 'not_found')
  problem(t, await call('GET', '/v1/nothing-here', null), 404, 'not_found')
  problem(t, await call('DELETE', '/v1/complaints', null, undefined, { authorization: 'Bearer bogus' }), 404, 'not_found')
  problem(t, await call('POST', '/nope', null, '{', json), 404, 'not_found')
})

t.test('body format errors', async (t) => {
  problem(t, await call('POST', '/v1/complaints', agent, '{"customer": {', json), 400, 'invalid_json')
  problem(t, await call('POST', '/v1/complaints', agent, '', json), 400, 'invalid_json')
  problem(t, await call('POST', '/v1/complaints', agent, 'phone=1', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type')
  problem(t, await call('POST', '/v1/complaints', agent, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }),
    415, 'unsupported_media_type')
  const big = JSON.stringify(aComplaint({ description: 'x'.repeat(TEST_BODY_LIMIT) }))
  problem(t, await call('POST', '/v1/complaints', agent, big, json), 413, 'payload_too_large')
})

t.test('validation_failed names each failing field', async (t) => {
  const fields = (body: { errors: { field: string; message: string }[] }) => body.errors.map((e) => e.field).sort()

  const schema = problem(t, await call('POST', '/v1/complaints', agent,
    { customer: { phone: '+8613800138000', nickname: 'x' }, summary: 's', colour: 'red' }), 400, 'validation_failed')
  t.same(fields(schema), ['body.category', 'body.colour', 'body.customer.nickname'])
  t.match(schema.errors.find((e: { field: string }) => e.field === 'body.colour'), { message: /not a known field/ })
  t.match(schema.errors.find((e: { field: string }) => e.field === 'body.category'), { message: /required/ })

  const phone = problem(t, await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '12ab' } })),
    400, 'validation_failed')
  t.same(phone.errors, [{ field: 'body.customer.phone', message: phone.errors[0].message }])
  t.match(phone.errors[0].message, /phone/)

  const noContact = problem(t, await call('POST', '/v1/complaints', agent, aComplaint({ customer: { name: 'Li' } })),
    400, 'validation_failed')
  t.same(fields(noContact), ['body.customer'])

  const nul = problem(t, await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'a\u0000b' })), 400, 'validation_failed')
  t.same(fields(nul), ['body.summary'], 'text Postgres cannot store is refused up front')
  const nulQuery = problem(t, await call('GET', '/v1/complaints?q=a%00b', agent), 400, 'validation_failed')
  t.same(fields(nulQuery), ['querystring.q'])

  const path = problem(t, await call('GET', '/v1/complaints/not-a-uuid', agent), 400, 'validation_failed')
  t.same(path.errors, [{ field: 'params.id', message: 'must match format "uuid"' }])

  const query = problem(t, await call('GET', '/v1/complaints?state=bogus&severity=loud&limit=0', agent), 400, 'validation_failed')
  t.same(fields(query), ['querystring.limit', 'querystring.severity', 'querystring.state'])
  const state = query.errors.find((e: { field: string }) => e.field === 'querystring.state')
  t.match(state.message, /one of .*received.*logged/, 'an enum names the allowed values once')
})

t.test('authentication and roles', async (t) => {
  problem(t, await call('GET', '/v1/complaints', null), 401, 'unauthorized')
  problem(t, await call('GET', '/v1/complaints', null, undefined, { authorization: 'Bearer not-a-real-token' }), 401, 'unauthorized')
  problem(t, await call('GET', '/v1/complaints', null, undefined, { authorization: `Basic ${agent.token}` }), 401, 'unauthorized')
  const forbidden = problem(t, await call('POST', '/v1/complaints', admin, aComplaint()), 403, 'forbidden')
  t.notMatch(forbidden.detail, admin.token)
  problem(t, await call('GET', '/v1/users', agent), 403, 'forbidden')
})

t.test('an internal error answers 500 internal_error without its cause', async (t) => {
  const response = await call('GET', '/test/boom', null)
  const body = problem(t, response, 500, 'internal_error')
  t.notMatch(response.body, 'select')
  t.notMatch(response.body, 'users')
  t.notMatch(response.body, 'token_hash')
  t.notMatch(response.body, /at .*\.ts:\d+/, 'no stack frame')
  t.notOk('stack' in body)
  t.ok(response.headers['x-request-id'], 'the request id ties the answer to the logs')
})

t.test("a problem's type resolves to a page this server serves, for every code", async (t) => {
  const index = await call('GET', '/problems', null)
  t.equal(index.statusCode, 200)
  t.match(index.headers['content-type'], /^text\/html/)
  for (const code of Object.keys(TITLES)) {
    t.match(index.body, `href="/problems/${code}"`, `${code} is listed`)
    const page = await call('GET', `/problems/${code}`, null)
    t.equal(page.statusCode, 200, code)
    t.match(page.body, new RegExp(`<h1><code>${code}</code></h1>\\s*<p><strong>${TITLES[code as keyof typeof TITLES][0]} `))
  }
  const refused = (await call('GET', '/v1/nothing-here', null)).json()
  const resolved = new URL(refused.type, 'http://hotline.internal/v1/nothing-here')
  t.equal((await call('GET', resolved.pathname, null)).statusCode, 200, 'not_found\'s own page is served')
  problem(t, await call('GET', '/problems/no_such_code', null), 404, 'not_found')
  t.match((await call('GET', '/problems/rate_limited', null)).body, '<code>Retry-After</code>', 'backticks become code')
})

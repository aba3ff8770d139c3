import t from 'tap'
import { Redis } from 'ioredis'
import { consoleToken } from '../../src/admin/queues.plugin.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

const basic = (token: string, user = 'admin') => ({ authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` })

t.test('Bull Board at /admin/queues: admin 200 HTML, agent 403, anonymous 401, all problem+json', async (t) => {
  const { app, call, admin, user } = await setupApp(t)
  const agent = await user('agent')
  const supervisor = await user('supervisor', { level: 3 })

  const page = await call('GET', '/admin/queues', admin)
  t.equal(page.statusCode, 200, 'admin with a bearer token')
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<html/i)
  t.match(page.body, /\/admin\/queues\//, 'the page loads its assets from under /admin/queues')
  t.equal(page.headers['cache-control'], 'no-store')

  const browser = await app.inject({ method: 'GET', url: '/admin/queues', headers: basic(admin.token) })
  t.equal(browser.statusCode, 200, 'admin through HTTP Basic, the token as the password')
  t.match(browser.headers['content-type'], /^text\/html/)
  t.equal((await app.inject({ method: 'GET', url: '/admin/queues/', headers: basic(admin.token, '') })).statusCode, 200, 'any user name')

  const anonymous = await call('GET', '/admin/queues', null)
  t.equal(anonymous.statusCode, 401)
  t.match(anonymous.headers['content-type'], /^application\/problem\+json/)
  t.match(anonymous.headers['www-authenticate'], /^Basic realm="Hotline queue console"/, 'a browser is asked for credentials')
  t.match(anonymous.json(), { status: 401, code: 'unauthorized', type: '/problems/unauthorized', instance: '/admin/queues' })

  for (const [label, headers] of [
    ['an unknown bearer token', { authorization: 'Bearer not-a-token' }],
    ['a wrong Basic password', basic('not-a-token')],
    ['Basic without a password', basic('')],
    ['a malformed Authorization header', { authorization: 'Token abc' }],
  ] as const) {
    const refused = await app.inject({ method: 'GET', url: '/admin/queues', headers })
    t.equal(refused.statusCode, 401, label)
    t.match(refused.json(), { code: 'unauthorized' })
  }

  for (const [label, response] of [
    ['agent, bearer', await call('GET', '/admin/queues', agent)],
    ['agent, Basic', await app.inject({ method: 'GET', url: '/admin/queues', headers: basic(agent.token) })],
    ['supervisor', await call('GET', '/admin/queues', supervisor)],
  ] as const) {
    t.equal(response.statusCode, 403, label)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.match(response.json(), { status: 403, code: 'forbidden', detail: /for admin/ })
  }

  const deactivated = await user('admin')
  t.equal((await call('PATCH', `/v1/users/${deactivated.id}`, admin, { active: false })).statusCode, 200)
  t.equal((await call('GET', '/admin/queues', deactivated)).statusCode, 401, 'a deactivated admin is refused')
})

t.test("Bull Board's API, pages and assets are guarded the same way, and show the three queues read-only", async (t) => {
  const { call, admin, user } = await setupApp(t)
  const agent = await user('agent')
  // Deadlines due within TIMER_HORIZON are jobs at once (later ones wait in Postgres for the loader).
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT2M', high: 'PT2M', normal: 'PT2M', low: 'PT2M' } }))
  await call('POST', '/v1/complaints', agent, aComplaint())

  const api = await call('GET', '/admin/queues/api/queues', admin)
  t.equal(api.statusCode, 200)
  const queues = api.json().queues as { name: string; readOnlyMode: boolean; counts: Record<string, number> }[]
  t.same(queues.map((q) => q.name).sort(), ['escalations', 'timers', 'webhooks'])
  t.ok(queues.every((q) => q.readOnlyMode), 'every queue is read-only')
  t.ok(queues.find((q) => q.name === 'timers')!.counts.delayed! >= 2, 'the complaint\'s deadlines are visible')

  t.equal((await call('GET', '/admin/queues/queue/timers', admin)).statusCode, 200, 'a deep link serves the page')
  const promote = await call('PUT', '/admin/queues/api/queues/timers/promote', admin, {})
  t.equal(promote.statusCode, 405, 'promoting delayed timers (firing deadlines early) is refused')
  t.match(promote.headers['content-type'], /^application\/problem\+json/)
  t.match(promote.json(), { status: 405, code: 'method_not_allowed', error: { key: 'ERRORS.QUEUE_READ_ONLY' } })
  const missing = await call('GET', '/admin/queues/api/queues/nope/default-job-options', admin)
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'not_found', error: { key: 'ERRORS.QUEUE_NOT_FOUND' } })

  for (const url of ['/admin/queues/api/queues', '/admin/queues/queue/timers', '/admin/queues/static/favicon-32x32.png',
    '/admin/queues/api/redis/stats']) {
    t.equal((await call('GET', url, null)).statusCode, 401, `anonymous ${url}`)
    t.equal((await call('GET', url, agent)).statusCode, 403, `agent ${url}`)
  }
  t.equal((await call('PUT', '/admin/queues/api/queues/timers/promote', null, {})).statusCode, 401)
  const asset = await call('GET', '/admin/queues/static/favicon-32x32.png', admin)
  t.equal(asset.statusCode, 200, 'an admin gets the assets')
  t.match(asset.headers['content-type'], /^image\/png/)
})

t.test('the credential is read from Bearer or from the Basic password', async (t) => {
  t.equal(consoleToken(undefined), undefined)
  t.equal(consoleToken('Bearer abc'), 'abc')
  t.equal(consoleToken('bearer  abc '), 'abc')
  t.equal(consoleToken(`Basic ${Buffer.from('me:s3cret:with:colons').toString('base64')}`), 's3cret:with:colons')
  t.equal(consoleToken(`Basic ${Buffer.from('no-colon').toString('base64')}`), undefined)
  t.equal(consoleToken('Basic !!!'), undefined)
  t.equal(consoleToken('Digest abc'), undefined)
})

t.test('/admin/queues and /metrics are in the OpenAPI document', async (t) => {
  const { app } = await setupApp(t)
  const document = app.swagger() as unknown as {
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>
    components: { securitySchemes: Record<string, { scheme?: string }> }
  }
  const console = document.paths['/admin/queues']?.get
  t.ok(console, '/admin/queues is documented')
  t.same(console?.security, [{ bearer: [] }, { adminBasic: [] }])
  t.same(Object.keys(console?.responses ?? {}).sort(), ['200', '401', '403', '500'])
  t.equal(document.components.securitySchemes.adminBasic?.scheme, 'basic')
  t.ok(document.paths['/metrics']?.get, '/metrics is documented')
  t.same(document.paths['/metrics']?.get?.security, [], '/metrics is public')
  t.notOk(Object.keys(document.paths).some((p) => p.startsWith('/admin/queues/')), "Bull Board's own API and assets stay hidden")
})

t.test('a failure inside Bull Board answers a problem that says nothing of its cause', async (t) => {
  const away = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null })
  away.on('error', () => {})
  t.teardown(() => away.disconnect())
  const { call, admin, logs } = await setupApp(t, { redis: away })
  const failed = await call('GET', '/admin/queues/api/redis/stats', admin)
  t.equal(failed.statusCode, 500)
  t.match(failed.headers['content-type'], /^application\/problem\+json/)
  t.match(failed.json(), { status: 500, code: 'internal_error', instance: '/admin/queues/api/redis/stats' })
  t.notMatch(failed.body, /ECONNREFUSED|127\.0\.0\.1|Connection|node_modules/i, 'no cause leaks')
  t.ok(logs.some((line) => /queue console request failed/.test(line)), 'the cause is logged')
})

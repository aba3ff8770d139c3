import { once } from 'node:events'
import t from 'tap'
import { setupApp } from '../helpers/app.js'

const { call, user, logs, redis } = await setupApp(t)
// setupApp does not wait for Redis: until it is connected /readyz rightly says down (no offline queue).
if (redis.status !== 'ready') await once(redis, 'ready')

t.test('/healthz answers 200 without credentials', async (t) => {
  const response = await call('GET', '/healthz', null)
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json/)
  t.same(response.json(), { status: 'ok' })
  t.ok(response.headers['x-request-id'])
})

t.test('/readyz answers 200 with both checks up, with or without credentials', async (t) => {
  const agent = await user('agent')
  for (const as of [null, agent]) {
    const response = await call('GET', '/readyz', as)
    t.equal(response.statusCode, 200, response.body)
    t.same(response.json(), { status: 'ready', checks: { postgres: 'up', redis: 'up' } })
  }
  const bad = await call('GET', '/readyz', null, undefined, { authorization: 'Bearer not-a-token' })
  t.equal(bad.statusCode, 200, 'a probe with a stray bad token is still answered')
})

t.test('probes stay out of the info logs', async (t) => {
  const start = logs.length
  await call('GET', '/healthz', null)
  await call('GET', '/readyz', null)
  t.same(logs.slice(start), [], 'logLevel warn on the probe routes')
})

t.test('only GET is served', async (t) => {
  const response = await call('POST', '/healthz', null, {})
  t.equal(response.statusCode, 404)
  t.equal(response.json().code, 'not_found')
})

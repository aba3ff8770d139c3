import { Redis } from 'ioredis'
import t from 'tap'
import { setupApp } from '../helpers/app.js'

// Nothing listens on 6390: the app's Redis client cannot connect and must fail at once, not queue.
const redis = new Redis('redis://127.0.0.1:6390', { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
redis.on('error', () => {})
t.teardown(() => redis.disconnect())
const { call } = await setupApp(t, { redis })

const within = <T>(ms: number, promise: Promise<T>) =>
  Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms).unref())])

t.test('/readyz answers 503 problem+json naming redis as down', async (t) => {
  const response = await within(3_500, call('GET', '/readyz', null))
  if (response === 'timed out') return t.fail('/readyz did not answer within 3.5 s')
  t.equal(response.statusCode, 503)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { status: 503, code: 'service_unavailable', title: String, detail: String, type: String })
  t.same(response.json().checks, { postgres: 'up', redis: 'down' })
})

t.test('/healthz still answers 200: the process is alive', async (t) => {
  const response = await call('GET', '/healthz', null)
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

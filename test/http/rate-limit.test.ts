import t from 'tap'
import { setupAppAt } from '../helpers/moving-clock.js'
import { setupApp } from '../helpers/app.js'
import { WindowLimit } from '../../src/http/rate-limit.js'

const START = '2026-11-28T08:00:10Z'

t.test('per token: RateLimit and RateLimit-Policy on every answer, 429 with Retry-After past the limit, a fresh window each minute', async (t) => {
  const { call, user, advance } = await setupAppAt(t, START, { config: { RATE_LIMIT_PER_TOKEN: 3, RATE_LIMIT_PER_IP: 0 } })
  const agent = await user('agent')
  const other = await user('agent')
  for (const left of [2, 1, 0]) {
    const answer = await call('GET', '/v1/me', agent)
    t.equal(answer.statusCode, 200)
    t.equal(answer.headers['ratelimit-policy'], '"token";q=3;w=60')
    t.equal(answer.headers.ratelimit, `"token";r=${left};t=50`, `${left} left, the window ends in 50 s`)
  }
  const refused = await call('GET', '/v1/complaints', agent)
  t.equal(refused.statusCode, 429)
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.match(refused.json(), { code: 'rate_limited', status: 429, detail: /more than 3 requests a minute with this token/ })
  t.equal(refused.headers['retry-after'], '50')
  t.equal(refused.headers.ratelimit, '"token";r=0;t=50')
  t.equal((await call('GET', '/v1/me', other)).statusCode, 200, "another token has its own allowance")

  advance(50_000)
  const next = await call('GET', '/v1/me', agent)
  t.equal(next.statusCode, 200, 'the next minute starts afresh')
  t.equal(next.headers.ratelimit, '"token";r=2;t=60')
})

t.test('per address: failed authentications count; past the limit the address is refused before authentication', async (t) => {
  const { app, user, advance } = await setupAppAt(t, START, { config: { RATE_LIMIT_PER_TOKEN: 0, RATE_LIMIT_PER_IP: 2 } })
  const agent = await user('agent')
  const from = (remoteAddress: string, token: string, url = '/v1/me') =>
    app.inject({ method: 'GET', url, remoteAddress, headers: { authorization: `Bearer ${token}` } })
  const good = await from('203.0.113.7', agent.token)
  t.equal(good.statusCode, 200)
  t.equal(good.headers.ratelimit, undefined, 'an authenticated caller is not counted per address (and the token limit is off)')
  for (const left of [1, 0]) {
    const failed = await from('203.0.113.7', 'htl_not-a-token')
    t.equal(failed.statusCode, 401)
    t.equal(failed.headers['ratelimit-policy'], '"ip";q=2;w=60')
    t.equal(failed.headers.ratelimit, `"ip";r=${left};t=50`)
  }
  const blocked = await from('203.0.113.7', agent.token)
  t.equal(blocked.statusCode, 429, 'the address is refused before its token is looked up')
  t.match(blocked.json(), { code: 'rate_limited', detail: /unauthenticated or failed requests a minute from this address/ })
  t.equal(blocked.headers['retry-after'], '50')
  t.equal((await from('198.51.100.4', agent.token)).statusCode, 200, 'another address is not')
  t.equal((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.7' })).statusCode, 200, 'probes are exempt')
  const metrics = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.7' })
  t.equal(metrics.statusCode, 200, 'and so is /metrics')
  t.equal(metrics.headers.ratelimit, undefined)
  advance(60_000)
  t.equal((await from('203.0.113.7', agent.token)).statusCode, 200, 'the next minute starts afresh')
})

t.test('unset (an app built without them) or 0: no limit and no headers', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const answer = await call('GET', '/v1/me', agent)
  t.equal(answer.statusCode, 200)
  t.equal(answer.headers.ratelimit, undefined)
  t.equal(answer.headers['ratelimit-policy'], undefined)
})

t.test('a window is the clock minute; remembered callers are bounded', async (t) => {
  let now = Date.parse('2026-11-28T08:00:59.500Z')
  const limit = new WindowLimit('token', 2, () => now)
  t.match(limit.count('a', 1), { remaining: 1, resetSeconds: 1, exceeded: false })
  t.match(limit.count('a', 1), { remaining: 0, exceeded: false })
  t.match(limit.count('a', 0), { remaining: 0, exceeded: true }, 'looking at a used-up allowance says so')
  t.match(limit.count('a', 1), { remaining: 0, exceeded: true })
  now += 600
  t.match(limit.count('a', 1), { remaining: 1, resetSeconds: 60, exceeded: false }, 'the minute turned')
  for (let i = 0; i < 100_500; i++) limit.count(`caller-${i}`, 1)
  t.match(limit.count('caller-100499', 0), { remaining: 1 }, 'the most recent callers are remembered')
})

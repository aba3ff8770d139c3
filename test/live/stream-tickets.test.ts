import t from 'tap'
import { buildApp } from '../../src/app.js'
import { createLogger } from '../../src/logger.js'
import { aComplaint } from '../helpers/app.js'
import { setupAppAt } from '../helpers/moving-clock.js'
import { readSse } from '../helpers/sse.js'

const START = '2026-11-27T02:00:00.000Z'

/** Opens a stream with a ticket (no Authorization header, as EventSource does), or with a token as well. */
const open = (address: string, path: string, ticket: string, token?: string) =>
  fetch(`${address}${path}?ticket=${encodeURIComponent(ticket)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })

/** The stream's first bytes, as text: its `retry:` advice and `: connected`. */
async function opening(response: Response): Promise<string> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!text.includes(': connected')) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel()
  return text
}

async function problem(response: Response): Promise<[number, string]> {
  return [response.status, ((await response.json()) as { code: string }).code]
}

t.test('a stream ticket opens the caller\'s stream once, for 60 s, and only theirs', async (t) => {
  const testApp = await setupAppAt(t, START)
  const { app, call, user, logs, redis, prefix } = testApp
  const agent = await user('agent')
  const other = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const issue = async (who: typeof agent) => {
    const response = await call('POST', '/v1/stream-tickets', who)
    t.equal(response.statusCode, 201, response.body)
    t.equal(response.headers['cache-control'], 'no-store')
    return response.json() as { ticket: string; expiresAt: string }
  }

  const first = await issue(agent)
  t.match(first.ticket, /^stk_[\w-]{43}$/)
  t.equal(first.expiresAt, new Date(Date.parse(START) + 60_000).toISOString(), 'valid for 60 s by the app\'s clock')
  const keys = await redis.keys(`${prefix}:stream-ticket:*`)
  t.equal(keys.length, 1, 'kept in Redis, where every API process finds it')
  t.notOk(keys[0]!.includes(first.ticket), 'under its hash, not the ticket itself')
  t.ok((await redis.ttl(keys[0]!)) <= 60, 'and Redis forgets it by itself')

  const stream = await open(address, '/v1/me/stream', first.ticket)
  t.equal(stream.status, 200)
  t.match(stream.headers.get('content-type'), /text\/event-stream/)
  t.match(await opening(stream), /^retry: 3000\n\n: connected\n\n/, 'retry advice first, then connected')
  t.same(await problem(await open(address, '/v1/me/stream', first.ticket)), [401, 'unauthorized'], 'a used ticket is refused')

  // The ticket is the caller's: the stream it opens is theirs (they hear their own feed).
  const second = await issue(agent)
  const feed = await open(address, '/v1/me/stream', second.ticket)
  let connected!: () => void
  const isConnected = new Promise<void>((resolve) => (connected = resolve))
  const heard = readSse(feed, (messages) => messages.length > 0, (text) => { if (text === 'connected') connected() })
  await isConnected
  const { id, promisedBy } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/request-extension`, agent, { until: new Date(Date.parse(promisedBy) + 3_600_000).toISOString(), reason: 'parts' })
  await call('POST', `/v1/complaints/${id}/decide-extension`, lead, { approve: false })
  const [message] = await heard
  t.match(message, { event: 'promise.extension_refused', data: { complaintId: id } }, 'the agent hears the answer to their own request')

  // Expired: the clock moves past 60 s (no sleep).
  const stale = await issue(agent)
  testApp.advance(60_001)
  t.same(await problem(await open(address, '/v1/me/stream', stale.ticket)), [401, 'unauthorized'], 'an expired ticket is refused')

  // Someone else's: beside another user's token it is refused; an unknown one is refused; a malformed one too.
  const theirs = await issue(agent)
  t.same(await problem(await open(address, '/v1/me/stream', theirs.ticket, other.token)), [403, 'forbidden'], 'not with another user\'s token')
  t.same(await problem(await open(address, '/v1/me/stream', theirs.ticket)), [401, 'unauthorized'], 'and that attempt spent it')
  t.same(await problem(await open(address, '/v1/me/stream', `stk_${'x'.repeat(43)}`)), [401, 'unauthorized'], 'an unknown ticket')
  t.same(await problem(await open(address, '/v1/me/stream', 'nonsense')), [401, 'unauthorized'], 'not a ticket at all')
  const own = await issue(agent)
  const withOwnToken = await open(address, '/v1/me/stream', own.ticket, agent.token)
  t.equal(withOwnToken.status, 200, 'beside its own user\'s token it is accepted')
  await withOwnToken.body?.cancel()

  // Wrong role: the route's roles apply to the ticket's user; only agents and supervisors get tickets.
  const agentTicket = await issue(agent)
  t.same(await problem(await open(address, '/v1/escalations/stream', agentTicket.ticket)), [403, 'forbidden'], 'an agent\'s ticket does not open the escalation stream')
  const leadTicket = await issue(lead)
  const escalations = await open(address, '/v1/escalations/stream', leadTicket.ticket)
  t.equal(escalations.status, 200, 'a supervisor\'s does')
  t.match(await opening(escalations), /^retry: 3000\n\n/)
  for (const role of ['admin', 'integration'] as const) {
    const who = role === 'admin' ? testApp.admin : await user(role)
    t.same([(await call('POST', '/v1/stream-tickets', who)).statusCode], [403], `${role}: no ticket`)
  }
  t.equal((await call('POST', '/v1/stream-tickets', null)).statusCode, 401, 'nobody: no ticket')

  // A ticket opens streams only: elsewhere it is no credential.
  const elsewhere = await issue(agent)
  t.same(await problem(await fetch(`${address}/v1/me/at-risk?ticket=${elsewhere.ticket}`)), [401, 'unauthorized'])

  // A deactivated user's ticket dies with them.
  const leaving = await issue(other)
  await call('PATCH', `/v1/users/${other.id}`, testApp.admin, { active: false })
  t.same(await problem(await open(address, '/v1/me/stream', leaving.ticket)), [401, 'unauthorized'], 'a deactivated user\'s ticket')

  const logged = logs.join('')
  t.ok(logged.includes('/v1/me/stream?ticket=[redacted]'), 'stream requests are logged without their ticket')
  for (const ticket of [first, second, stale, theirs, own, agentTicket, leadTicket, elsewhere, leaving].map((x) => x.ticket)) {
    t.notOk(logged.includes(ticket), 'no ticket in the logs')
  }
})

t.test('a ticket issued by one API process opens a stream on another (kept in Redis)', async (t) => {
  const testApp = await setupAppAt(t, START)
  const agent = await testApp.user('agent')
  const other = await buildApp({
    config: { BODY_LIMIT_BYTES: 262_144, DEFAULT_PHONE_COUNTRY: undefined, QUEUE_PREFIX: testApp.prefix },
    db: testApp.db, redis: testApp.redis, logger: createLogger('silent'), clock: () => new Date(START),
  })
  t.teardown(() => other.close())
  const address = await other.listen({ port: 0, host: '127.0.0.1' })
  const { ticket } = (await testApp.call('POST', '/v1/stream-tickets', agent)).json()
  const stream = await open(address, '/v1/me/stream', ticket)
  t.equal(stream.status, 200)
  t.match(await opening(stream), /: connected/)
})

t.test('a stream takes the last event id in its query string, for clients that cannot send the header', async (t) => {
  const testApp = await setupAppAt(t, START)
  const address = await testApp.app.listen({ port: 0, host: '127.0.0.1' })
  const agent = await testApp.user('agent')
  const { ticket } = (await testApp.call('POST', '/v1/stream-tickets', agent)).json()
  const bad = await fetch(`${address}/v1/me/stream?ticket=${ticket}&lastEventId=not-an-id`)
  t.equal(bad.status, 400, 'read as Last-Event-ID (and refused as it would be)')
  t.match(await bad.json(), { code: 'validation_failed', errors: [{ field: 'querystring.lastEventId' }] })
  const { ticket: next } = (await testApp.call('POST', '/v1/stream-tickets', agent)).json()
  const good = await fetch(`${address}/v1/me/stream?ticket=${next}&lastEventId=${encodeURIComponent(`${START}_00000000-0000-4000-8000-000000000000_1`)}`)
  t.equal(good.status, 200, 'a valid id replays (nothing here) and goes live')
  t.match(await opening(good), /: connected/)
})

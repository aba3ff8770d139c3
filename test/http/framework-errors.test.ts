import { once } from 'node:events'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

function problem(t: Test, response: LightMyRequestResponse, status: number, code: string) {
  t.equal(response.statusCode, status, `${status} ${code}: ${response.body.slice(0, 300)}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { type: String, title: String, status, detail: String, code })
  return response.json()
}

/** One raw HTTP exchange over a real socket: what is written, everything the server answers until it closes. */
async function exchange(port: number, write: (socket: net.Socket) => void | Promise<void>): Promise<string> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => {})
  const closed = once(socket, 'close')
  await write(socket)
  await closed
  return Buffer.concat(chunks).toString('utf8')
}

/** The status line, the headers (lower-cased names) and the body of each response in a raw answer. */
function parseResponses(raw: string) {
  const responses: { status: number; headers: Record<string, string>; body: string }[] = []
  let rest = raw
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n')
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n')
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
    const length = Number(headers['content-length'])
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
  return responses
}

t.test('the router and the not-found handler answer problem+json', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const long = 'a'.repeat(3_000)
  const cases: [string, string, unknown][] = [
    ['GET', `/v1/complaints/${long}`, undefined],
    ['GET', `/v1/complaints/${long}/events`, undefined],
    ['POST', `/v1/complaints/${long}/escalate`, { reason: 'x' }],
    ['PATCH', `/v1/users/${long}`, { active: false }],
  ]
  for (const [method, path, payload] of cases) {
    const body = problem(t, await call(method, path, agent, payload), 414, 'uri_too_long')
    t.equal(body.type, '/problems/uri_too_long')
    t.notOk(JSON.stringify(body).includes(long), 'the answer does not echo the long id back')
  }
  problem(t, await call('GET', '/v1/no-such-thing', agent), 404, 'not_found')
  const unknown = problem(t, await call('GET', `/v1/nothing/${long}/${long}`, agent), 404, 'not_found')
  t.ok(JSON.stringify(unknown).length < 1_000, 'a long unknown path is not echoed whole')
  problem(t, await call('POST', '/v1/complaints', agent, JSON.stringify(aComplaint()), { 'content-type': 'text/csv' }), 415, 'unsupported_media_type')
})

t.test('what Node refuses before Fastify sees a request is problem+json too', async (t) => {
  const { app } = await setupApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  const huge = await exchange(port, (s) => {
    s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`)
  })
  const [tooLarge] = parseResponses(huge)
  t.equal(tooLarge?.status, 431, huge.slice(0, 200))
  t.equal(tooLarge?.headers['content-type'], 'application/problem+json')
  t.match(JSON.parse(tooLarge!.body), { status: 431, code: 'headers_too_large', type: '/problems/headers_too_large' })

  const garbage = parseResponses(await exchange(port, (s) => {
    s.write('HELLO there\r\n\r\n')
  }))
  t.match(garbage, [{ status: 400, headers: { 'content-type': 'application/problem+json' } }])
  t.match(JSON.parse(garbage[0]!.body), { code: 'bad_request' })

  // Node checks request timeouts every 30 s: the error it then raises on the connection is raised here at once.
  app.server.once('connection', (socket: net.Socket) => {
    setImmediate(() => app.server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket))
  })
  const [timedOut] = parseResponses(await exchange(port, () => {}))
  t.equal(timedOut?.status, 408)
  t.equal(timedOut?.headers['content-type'], 'application/problem+json')
  t.match(JSON.parse(timedOut!.body), { code: 'request_timeout' })
})

t.test('a request that arrives while the server shuts down answers 503 service_unavailable problem+json', async (t) => {
  let entered!: () => void
  let release!: () => void
  const inHandler = new Promise<void>((resolve) => (entered = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  let closingStarted!: () => void
  const closing = new Promise<void>((resolve) => (closingStarted = resolve))
  const { app } = await setupApp(t, {
    extend: (app) => {
      app.get('/test/hold', { config: { public: true }, schema: { hide: true } }, async () => {
        entered()
        await released
        return { held: true }
      })
      app.addHook('preClose', async () => closingStarted())
    },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  let closed: Promise<void> | undefined
  const raw = await exchange(port, async (socket) => {
    socket.write('GET /test/hold HTTP/1.1\r\nHost: x\r\n\r\n')
    await inHandler
    closed = app.close()
    await closing
    // The same keep-alive connection: the server is closing, this request is refused and the connection closes.
    const second = once(app.server, 'request')
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    // The refusal is queued behind the held answer: once the server has the second request, the first may finish.
    await second
    release()
  })
  await closed
  const [held, refused] = parseResponses(raw)
  t.equal(held?.status, 200)
  t.equal(refused?.status, 503, raw)
  t.equal(refused?.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(refused?.headers['retry-after'], '5')
  t.match(JSON.parse(refused!.body), { code: 'service_unavailable', status: 503 })
})

import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { createDb } from '../../src/db/database.js'
import { setupApp } from '../helpers/app.js'

// A port nobody listens on (yet): first the app's Postgres refuses connections, then it accepts and never answers.
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resolve(port))
  })
})
const db = createDb(`postgres://postgres@127.0.0.1:${port}/hotline`, { max: 2 })
const { call, redis } = await setupApp(t, { db })
if (redis.status !== 'ready') await once(redis, 'ready')
const sockets = new Set<Socket>()
const silent = createServer((socket) => {
  sockets.add(socket)
  socket.on('error', () => {})
})
t.teardown(async () => {
  for (const socket of sockets) socket.destroy()
  silent.close()
  await db.destroy()
})

async function readyz(t: Test) {
  const started = Date.now()
  const response = await Promise.race([
    call('GET', '/readyz', null),
    new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), 3_500).unref()),
  ])
  if (response === 'timed out') return t.fail('/readyz did not answer within 3.5 s')
  t.equal(response.statusCode, 503, `answered in ${Date.now() - started} ms`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { status: 503, code: 'service_unavailable', title: String, detail: String, type: String })
  t.same(response.json().checks, { postgres: 'down', redis: 'up' })
}

t.test('/readyz answers 503 with postgres down when its port is closed', async (t) => {
  await readyz(t)
  const alive = await call('GET', '/healthz', null)
  t.equal(alive.statusCode, 200, '/healthz does not depend on Postgres')
})

t.test('/readyz answers 503 with postgres down when Postgres accepts but never answers', async (t) => {
  await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve))
  await readyz(t)
  t.ok(sockets.size > 0, 'the app did reach the silent server')
})

import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/database.js'
import { aComplaint, deleteKeys, REDIS_URL } from '../helpers/app.js'
import { spawnCli } from '../helpers/child-env.js'
import { freePort, ownPostgres } from '../helpers/own-postgres.js'
import { fastPolicy, waitFor } from '../helpers/worker.js'
import { Redis } from 'ioredis'

// Finding 1 of issue 10: a Postgres restart under load killed the process (an error on a client in use was an
// uncaught exception), and while Postgres was down writes answered 500. Here `npm start` (API and worker in one
// process) runs against a Postgres cluster of the test's own, which is stopped for 10 s under load.
const RECONCILE_MS = 2_000
const OUTAGE_MS = 10_000
const COMPLAINTS = 12
const CLIENTS = 4

interface Sample {
  started: number
  ms: number
  method: string
  status: number
  contentType: string
  retryAfter: string | null
  code?: string
  id?: string
}

t.test('Postgres stopped 10 s under load: the process lives, answers 503 meanwhile, and every deadline fires once', async (t) => {
  const cluster = await ownPostgres(t)
  const port = await freePort()
  const prefix = `hotline-outage-${process.pid}`
  const adminToken = randomBytes(24).toString('hex')
  const env = {
    ...process.env,
    DATABASE_URL: cluster.url('hotline'), REDIS_URL, HOST: '127.0.0.1', PORT: String(port), QUEUE_PREFIX: prefix,
    HOTLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken, RECONCILE_EVERY: `PT${RECONCILE_MS / 1000}S`, LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: '8',
  }
  const redis = new Redis(REDIS_URL)
  t.teardown(async () => {
    await deleteKeys(redis, `${prefix}:*`)
    redis.disconnect()
  })
  const child = spawnCli(['start'], { cwd: new URL('../..', import.meta.url).pathname, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += String(chunk)))
  child.stderr!.on('data', (chunk) => (output += String(chunk)))
  let exited: number | null | undefined
  child.once('exit', (code, signal) => (exited = code ?? (signal ? -1 : null)))
  t.teardown(() => {
    if (exited === undefined) child.kill('SIGKILL')
  })

  const base = `http://127.0.0.1:${port}`
  const request = async (method: string, path: string, token: string | null, body?: unknown): Promise<Sample & { body: unknown }> => {
    const started = Date.now()
    const response = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    })
    const text = await response.text()
    const parsed = text ? JSON.parse(text) : undefined
    return {
      started, ms: Date.now() - started, method, status: response.status, body: parsed,
      contentType: response.headers.get('content-type') ?? '', retryAfter: response.headers.get('retry-after'),
      code: parsed?.code, id: response.status === 201 ? parsed?.id : undefined,
    }
  }
  // Ready, or exited: the limit is only a safety net (tap's 300 s a file), a loaded machine takes long to boot it.
  await waitFor(async () => {
    if (exited !== undefined) throw new Error(`hotline start exited (${exited}) before it was ready:\n${output}`)
    return (await request('GET', '/readyz', null).catch(() => undefined))?.status === 200
  }, 240_000, 'the process to be ready')

  const agent = await request('POST', '/v1/users', adminToken, { name: 'Outage agent', role: 'agent' })
  t.equal(agent.status, 201)
  const token = (agent.body as { token: string }).token
  // Warnings fall due 4 s after logging and responses 8 s after: inside the outage. The ladder then waits an hour.
  const window = 'PT8S'
  t.equal((await request('PUT', '/v1/sla-policies', adminToken, fastPolicy({
    response: { urgent: window, high: window, normal: window, low: window }, escalationAck: 'PT1H',
  }))).status, 200)
  for (let i = 0; i < COMPLAINTS; i++) t.equal((await request('POST', '/v1/complaints', token, aComplaint({ summary: `before ${i}` }))).status, 201)

  // Load: clients creating and reading complaints without pause, before, during and after the outage.
  const samples: Sample[] = []
  let loading = true
  let lastId: string | undefined
  const client = async (n: number) => {
    for (let i = 0; loading; i++) {
      const sample = i % 2 === 0 || !lastId
        ? await request('POST', '/v1/complaints', token, aComplaint({ summary: `load ${n}.${i}` }))
        : await request('GET', `/v1/complaints/${lastId}`, token)
      if (sample.id) lastId = sample.id
      const { body: _body, ...kept } = sample
      samples.push(kept)
    }
  }
  const clients = Array.from({ length: CLIENTS }, (_, n) => client(n).catch((error: unknown) => {
    t.fail(`a client's request failed outright: ${String(error)}`)
  }))
  await waitFor(async () => samples.filter((s) => s.status === 201).length >= 20, 30_000, 'load to run')

  const stopping = Date.now()
  await cluster.stop()
  const downAt = Date.now()
  await waitFor(async () => Date.now() - downAt > OUTAGE_MS / 2 && samples.some((s) => s.started > downAt + 1_000), OUTAGE_MS, 'load during the outage')
  const readyDuring = await request('GET', '/readyz', null)
  await waitFor(async () => Date.now() - downAt >= OUTAGE_MS, OUTAGE_MS * 2, 'the end of the outage')
  const restarting = Date.now()
  await cluster.start()
  const upAt = Date.now()
  await waitFor(async () => samples.some((s) => s.started > upAt && s.status === 201), 30_000, 'writes to succeed again')
  loading = false
  await Promise.all(clients)

  t.equal(exited, undefined, 'the process never exited')
  // The process's own words: Postgres itself says "the database system is shutting down" (57P03) to clients
  // connecting while it stops, and a logged warning may quote it.
  t.notMatch(output, /shutting down after an error|second error, exiting/, 'and never began to shut down')

  t.match(output, /request refused: a backing service is unavailable/, 'each refusal is a warning')
  t.notMatch(output, /"msg":"request failed"/, 'and no request failed with an error (a stack per request during an outage)')

  t.equal(readyDuring.status, 503, '/readyz answered 503 while Postgres was down')
  t.match(readyDuring.body, { code: 'service_unavailable', checks: { postgres: 'down', redis: 'up' } })

  const during = samples.filter((s) => s.started >= downAt && s.started + s.ms <= restarting)
  t.ok(during.length >= 20, `${during.length} requests while Postgres was down`)
  const wrong = during.filter((s) => s.status !== 503 || s.code !== 'service_unavailable' ||
    !s.contentType.startsWith('application/problem+json') || s.retryAfter !== '5')
  t.same(wrong, [], 'each answered 503 service_unavailable problem+json with Retry-After: 5')
  const slowest = Math.max(...during.map((s) => s.ms))
  t.ok(slowest < 2_000, `each within 2 s (slowest ${slowest} ms)`)
  const errors = samples.filter((s) => s.status >= 500 && s.status !== 503)
  t.same(errors, [], 'no other 5xx at any time, the stop itself included')
  const stopWindow = samples.filter((s) => s.started < downAt && s.started + s.ms > stopping)
  t.ok(stopWindow.every((s) => s.status < 300 || s.status === 503), `requests in flight at the stop: ${stopWindow.map((s) => s.status).join(',') || 'none'}`)

  // Every acknowledged complaint exists, and every deadline due meanwhile fired exactly once, soon after the return.
  const db = createDb(cluster.url('hotline'), { max: 2 })
  t.teardown(() => db.destroy())
  const acknowledged = samples.filter((s) => s.id).map((s) => s.id!)
  const stored = await db.selectFrom('complaints').select('id').where('id', 'in', acknowledged).execute()
  t.equal(stored.length, acknowledged.length, `all ${acknowledged.length} acknowledged complaints exist`)

  const dueMeanwhile = await db.selectFrom('timers').select(['id', 'dueAt', 'firedAt'])
    .where('cancelledAt', 'is', null).where('dueAt', '>=', new Date(downAt)).where('dueAt', '<=', new Date(upAt)).execute()
  t.ok(dueMeanwhile.length >= COMPLAINTS, `${dueMeanwhile.length} deadlines fell due during the outage`)
  // Each one settles: it fires, or a sibling that fired first cancels it (both overdue at the return, the missed
  // response escalates the complaint and cancels its pending warning: a warning after the deadline says nothing).
  const settled = await waitFor(async () => {
    const rows = await db.selectFrom('timers').select(['id', 'complaintId', 'dueAt', 'firedAt', 'cancelledAt'])
      .where('id', 'in', dueMeanwhile.map((r) => r.id)).execute()
    return rows.every((r) => r.firedAt || r.cancelledAt) && rows
  }, 30_000, 'the deadlines due meanwhile to settle').catch(async (error: unknown) => {
    // What the process said (warn and above), and where the unsettled timers' jobs are: the cause, in a CI log.
    const rows = await db.selectFrom('timers').select(['id', 'dueAt']).where('id', 'in', dueMeanwhile.map((r) => r.id))
      .where('firedAt', 'is', null).where('cancelledAt', 'is', null).execute()
    const states = await Promise.all(rows.slice(0, 5).map(async (r) => `${r.id}: ${JSON.stringify(await redis.hgetall(`${prefix}:timers:${r.id}`)).slice(0, 300)}`))
    t.comment(`unsettled: ${rows.length}\n${states.join('\n')}\nprocess output (tail):\n${output.slice(-6_000)}`)
    throw error
  })
  const fired = settled.filter((r) => r.firedAt)
  const cancelled = settled.filter((r) => !r.firedAt)
  const firedComplaints = new Set(fired.map((r) => r.complaintId))
  t.ok(cancelled.every((r) => firedComplaints.has(r.complaintId)), `${cancelled.length} cancelled, each by a deadline of its complaint that fired`)
  t.ok(fired.length >= COMPLAINTS, `${fired.length} fired`)
  const lateness = fired.map((r) => r.firedAt!.getTime() - upAt)
  const latest = Math.max(...lateness)
  // Within RECONCILE_EVERY of the return, with a second of margin for a busy machine.
  t.ok(latest <= RECONCILE_MS + 1_000, `all fired within ${latest} ms of Postgres's return (RECONCILE_EVERY ${RECONCILE_MS} ms)`)
  const perTimer = await sql<{ timer: string; n: number }>`
    select data ->> 'timerId' as timer, count(*)::int as n from complaint_events
    where data ->> 'timerId' = any(${dueMeanwhile.map((r) => r.id)}) group by 1`.execute(db)
  t.same(perTimer.rows.map((r) => r.timer).sort(), fired.map((r) => r.id).sort(), 'each fired one is in the history, no cancelled one is')
  t.ok(perTimer.rows.every((r) => r.n === 1), 'exactly once')
  t.comment(JSON.stringify({
    outage: { downMs: upAt - downAt, requests: during.length, slowestMs: slowest, restartMs: upAt - restarting },
    deadlines: { dueMeanwhile: dueMeanwhile.length, latestAfterReturnMs: latest },
    requests: samples.length,
  }))

  child.kill('SIGTERM')
  await waitFor(async () => exited !== undefined, 30_000, 'the process to exit')
  t.equal(exited, 0, 'SIGTERM still closes it cleanly')
})

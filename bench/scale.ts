// Scaling past one process (issue 11, docs/scaling.md): the same intake load against 1 API + 1 worker, then 2 APIs +
// 2 workers on one database and one Redis, with deadlines falling due during the load; after each run, every
// deadline that fell due must have fired exactly once. Run: npm run bench:scale   (it builds dist/ first)
//   BENCH_DURATION     seconds of load per layout (default 15)
//   BENCH_CONNECTIONS  connections in all, split evenly over the APIs (default 64)
// Its own database (hotline_bench_scale, recreated per layout) and Redis database 14 (flushed per layout).
import autocannon from 'autocannon'
import type { ChildProcess } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { admin, databaseUrl, freePort, log, ROOT, start, stop, waitReady } from './lib/processes.js'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14'
const DURATION = Number(process.env.BENCH_DURATION ?? 15)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64)
const TOKEN = 'bench-scale-admin-token-0001'
const DB = 'hotline_bench_scale'
const CLI = path.join(ROOT, 'dist/src/cli.js')

// Promises of 10 s: the warning at 5 s, the deadline at 10 s, so most complaints taken fall due while the load runs.
const day: [string, string][] = [['00:00', '23:59']]
const POLICY = {
  calendar: { timezone: 'UTC', week: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day }, holidays: [] },
  response: { urgent: 'PT10S', high: 'PT10S', normal: 'PT10S', low: 'PT10S' },
  businessHours: { urgent: false, high: false, normal: false, low: false },
  warnAt: 0.5, triage: 'PT1H', escalationAck: 'PT1H', escalationResponse: 'PT1H', followUpAfter: 'PT1H',
  followUpAttempts: 3, followUpRetry: 'PT1H', maxLevel: 3,
}

const intakeBody = (i: number) => JSON.stringify({
  customer: { name: `Scale ${i}`, phone: `+86 139 ${String(i % 10_000).padStart(4, '0')} ${String(Math.floor(i / 10_000) % 10_000).padStart(4, '0')}` },
  category: 'delivery', summary: 'Parcel lost by the depot', product: 'kettle', region: 'east',
})

async function call(base: string, method: string, url: string, token: string, body?: unknown) {
  const response = await fetch(base + url, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`)
  return response.json() as Promise<Record<string, unknown>>
}

async function layout(processes: number): Promise<Record<string, number | string>> {
  await admin(async (c) => {
    await c.query(`drop database if exists ${DB} with (force)`)
    await c.query(`create database ${DB}`)
  })
  const redis = new Redis(REDIS_URL)
  await redis.flushdb()
  redis.disconnect()
  const env = { DATABASE_URL: databaseUrl(DB), REDIS_URL, LOG_LEVEL: 'warn', QUEUE_PREFIX: 'hotline-bench-scale', RATE_LIMIT_PER_TOKEN: '0', RATE_LIMIT_PER_IP: '0', HOTLINE_BOOTSTRAP_ADMIN_TOKEN: TOKEN }
  const migrate = start([CLI, 'migrate'], env)
  await new Promise((resolve) => migrate.once('exit', resolve))
  const children: ChildProcess[] = []
  const bases: string[] = []
  try {
    for (let i = 0; i < processes; i++) {
      const port = await freePort()
      const api = start([CLI, 'api'], { ...env, PORT: String(port) })
      children.push(api, start([CLI, 'worker'], env))
      await waitReady(`http://127.0.0.1:${port}/readyz`, api)
      bases.push(`http://127.0.0.1:${port}`)
    }
    await call(bases[0]!, 'PUT', '/v1/sla-policies', TOKEN, POLICY)
    const agent = await call(bases[0]!, 'POST', '/v1/users', TOKEN, { name: 'Scale Agent', role: 'agent', compensationLimit: 1_000 })
    let n = 0
    const startedAt = Date.now()
    const runs = await Promise.all(bases.map((url) => autocannon({
      url, connections: Math.max(1, Math.floor(CONNECTIONS / bases.length)), duration: DURATION,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token as string}` },
      requests: [{ method: 'POST', path: '/v1/complaints', setupRequest: (request) => ({ ...request, body: intakeBody(n++) }) }],
    })))
    const endedAt = Date.now()
    const ok = runs.reduce((sum, r) => sum + r.requests.total - r.non2xx - r.errors, 0)
    const failed = runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0)
    const rps = ok / ((endedAt - startedAt) / 1000)
    log(`${processes} API + ${processes} worker: ${rps.toFixed(0)} intakes/s, ${failed} failed`)

    // Every deadline due by the end of the load (plus the 10 s window of the last intakes) fires, each once.
    const settleBy = endedAt + 10_000
    const check = () => admin(async (c) => {
      const pendingDue = await c.query<{ n: string }>(
        'select count(*) as n from timers where fired_at is null and cancelled_at is null and due_at <= $1', [new Date(settleBy)])
      const twice = await c.query<{ n: string }>(
        `select count(*) as n from (select data ->> 'timerId' from complaint_events where data ? 'timerId' group by 1 having count(*) > 1) x`)
      const fired = await c.query<{ n: string; worst: number | null }>(
        'select count(*) as n, max(extract(epoch from fired_at - due_at) * 1000)::int as worst from timers where fired_at is not null')
      return { pendingDue: Number(pendingDue.rows[0]!.n), twice: Number(twice.rows[0]!.n), fired: Number(fired.rows[0]!.n), worstMs: fired.rows[0]!.worst ?? 0 }
    }, DB)
    let state = await check()
    while (state.pendingDue > 0 || Date.now() < settleBy + 2_000) {
      if (Date.now() > settleBy + 60_000) throw new Error(`${state.pendingDue} deadlines still unfired 60 s after they fell due`)
      await new Promise((resolve) => setTimeout(resolve, 500))
      state = await check()
    }
    if (state.twice > 0) throw new Error(`${state.twice} timers fired more than once`)
    return { layout: `${processes} API + ${processes} worker`, intakesPerSecond: Math.round(rps), failed, deadlinesFired: state.fired, firedTwice: state.twice, worstLatenessMs: state.worstMs }
  } finally {
    await Promise.all(children.map(stop))
  }
}

async function main() {
  log(`node ${process.versions.node}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}; ${DURATION} s per layout, ${CONNECTIONS} connections`)
  const rows = [await layout(1), await layout(2)]
  const lines = ['| layout | intakes/s | failed | deadlines fired | fired twice | worst lateness ms |', '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.layout} | ${r.intakesPerSecond} | ${r.failed} | ${r.deadlinesFired} | ${r.firedTwice} | ${r.worstLatenessMs} |`)]
  process.stdout.write(lines.join('\n') + '\n')
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.stack ?? error.message : String(error))
  process.exit(1)
})

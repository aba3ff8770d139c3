// Reports benchmark (issue 6): with 1,000,000 complaints and their histories in the database, the p95 latency of every
// report through the real app (app.inject: routing, auth, the queries, serialisation). Run: npm run bench:reports
// It uses its own database (hotline_bench_reports, recreated) and Redis database 15 (only connected: reports write
// nothing there). BENCH_COMPLAINTS and BENCH_RUNS change the size and the number of timed runs per report; BENCH_REUSE=1
// measures again on the database a previous run seeded (same size), without seeding.
import os from 'node:os'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { buildApp } from '../src/app.js'
import { ensureBootstrapAdmin } from '../src/auth/users.repository.js'
import { hashToken, newToken } from '../src/auth/tokens.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { createLogger } from '../src/logger.js'
import reportsRoutes from '../src/reports/reports.routes.js'
import { refreshReportDays } from '../src/reports/summary.js'
import { benchDatabase, seed } from './seed.js'

const SERVER = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const COMPLAINTS = Number(process.env.BENCH_COMPLAINTS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 20)
const DAYS = 730
const DATABASE = 'hotline_bench_reports'
const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`)

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!

interface Measured {
  name: string
  rows: number
  p50: number
  p95: number
  max: number
}

async function main() {
  const { url, db, reuse } = await benchDatabase(SERVER, DATABASE, log)
  let seeded = { events: 0, seconds: 0 }
  if (!reuse) {
    await migrateToLatest(db)
    log(`seeding ${COMPLAINTS} complaints over ${DAYS} days`)
    seeded = await seed(url, { complaints: COMPLAINTS, days: DAYS }, { reportRows: true, analyze: true, log })
    log(`seeded ${COMPLAINTS} complaints and ${seeded.events} events in ${seeded.seconds.toFixed(0)} s`)
  }

  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() })
  const app = await buildApp({
    config: { BODY_LIMIT_BYTES: 262_144, DEFAULT_PHONE_COUNTRY: undefined, QUEUE_PREFIX: 'hotline-bench-reports' },
    db, redis, logger: createLogger('warn', quiet),
  })
  if (!app.hasRoute({ method: 'GET', url: '/v1/reports/summary' })) await app.register(reportsRoutes)
  await app.ready()
  const token = newToken()
  await ensureBootstrapAdmin(db, hashToken(token))

  const measure = async (name: string, url: string, accept = 'application/json', before?: () => Promise<void>): Promise<Measured> => {
    const call = async () => {
      await before?.()
      return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, accept } })
    }
    const first = await call()
    if (first.statusCode !== 200) throw new Error(`${url}: ${first.statusCode} ${first.body}`)
    const body = (accept === 'text/csv' ? { items: first.body.trimEnd().split('\r\n').slice(1) } : first.json()) as
      { total?: { received: number }; groups?: unknown[]; items?: unknown[] }
    const times: number[] = []
    for (let i = 0; i < RUNS; i++) {
      await before?.()
      const t0 = performance.now()
      const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, accept } })
      times.push(performance.now() - t0)
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode}`)
    }
    times.sort((a, b) => a - b)
    const result = {
      name, rows: body.total?.received ?? body.items?.length ?? 0,
      p50: quantile(times, 0.5), p95: quantile(times, 0.95), max: times.at(-1)!,
    }
    log(`${name}: p50 ${result.p50.toFixed(0)} ms, p95 ${result.p95.toFixed(0)} ms, max ${result.max.toFixed(0)} ms (${result.rows} complaints${body.groups ? `, ${body.groups.length} groups` : ''})`)
    return result
  }

  const results: Measured[] = []
  const now = Date.now()
  const GROUPS = ['', 'category', 'channel', 'severity', 'team', 'region', 'product', 'agent', 'month']
  for (const days of (process.env.BENCH_PERIODS ?? '30,90,365').split(',').map(Number)) {
    const from = new Date(now - days * 86_400_000).toISOString()
    const to = new Date(now).toISOString()
    for (const groupBy of GROUPS) {
      const query = `from=${from}&to=${to}${groupBy ? `&groupBy=${groupBy}` : ''}${groupBy === 'month' ? '&tz=Asia/Shanghai' : ''}`
      results.push(await measure(`summary ${days} d ${groupBy || '(total)'}`, `/v1/reports/summary?${query}`))
    }
  }
  for (const [min, days] of [[2, 30], [3, 90], [5, 365]] as const) {
    results.push(await measure(`repeat-complainants min=${min} days=${days}`, `/v1/reports/repeat-complainants?min=${min}&days=${days}`))
  }
  // Just after writes: the last 31 days noted dirty (today's complaints, follow-ups of last month's), so they are read
  // from report_facts. Before each run the background rebuild the previous answer started is waited for, then the
  // days are noted dirty again.
  const dirty = async () => {
    await refreshReportDays(db)
    await sql`insert into report_dirty_days (day) select generate_series(current_date - 30, current_date, interval '1 day')::date`.execute(db)
  }
  for (const groupBy of ['category', 'agent']) {
    const query = `from=${new Date(now - 365 * 86_400_000).toISOString()}&to=${new Date(now).toISOString()}&groupBy=${groupBy}`
    results.push(await measure(`summary 365 d ${groupBy}, last 31 days dirty`, `/v1/reports/summary?${query}`, 'application/json', dirty))
  }
  await refreshReportDays(db)
  results.push(await measure('summary 90 d product, text/csv (rows)',
    `/v1/reports/summary?from=${new Date(now - 90 * 86_400_000).toISOString()}&to=${new Date(now).toISOString()}&groupBy=product`, 'text/csv'))

  const cpu = os.cpus()[0]?.model ?? 'cpu'
  process.stdout.write(`${JSON.stringify({
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    complaints: COMPLAINTS, events: seeded.events, seedSeconds: Math.round(seeded.seconds), runs: RUNS,
    results: results.map((r) => ({ ...r, p50: Math.round(r.p50), p95: Math.round(r.p95), max: Math.round(r.max) })),
    worstP95: Math.round(Math.max(...results.map((r) => r.p95))),
  }, null, 2)}\n`)
  await app.close()
  redis.disconnect()
  await db.destroy()
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})

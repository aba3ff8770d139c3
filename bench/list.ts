// List benchmark (issue 11): with 1,000,000 complaints in tables grown from empty and never analysed (autovacuum is
// off on these machines), the latency of each list filter and of the read of one complaint through the real app
// (app.inject: routing, auth, the queries, serialisation), one request at a time. Run: npm run bench:list
// It uses its own database (BENCH_DATABASE, default hotline_bench_list; recreated unless BENCH_REUSE=1) and Redis
// database 15 (only connected: reads write nothing there). BENCH_MIGRATE_TO=<migration name> stops the schema at that
// migration (to measure "before"); BENCH_COMPLAINTS, BENCH_RUNS and BENCH_WARMUP change the size and the number of
// requests. Exits 1 when a p95 is 50 ms or more.
import os from 'node:os'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import { FileMigrationProvider, Migrator, sql } from 'kysely'
import { buildApp } from '../src/app.js'
import { ensureBootstrapAdmin } from '../src/auth/users.repository.js'
import { hashToken, newToken } from '../src/auth/tokens.js'
import type { Db } from '../src/db/database.js'
import { migrateToLatest, MIGRATIONS_FOLDER } from '../src/db/migrate.js'
import { createLogger } from '../src/logger.js'
import { AGENTS, TEAMS, agentId, benchDatabase, complaintId, customersFor, seed } from './seed.js'

const SERVER = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const DATABASE = process.env.BENCH_DATABASE ?? 'hotline_bench_list'
const COMPLAINTS = Number(process.env.BENCH_COMPLAINTS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 200)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20)
const MIGRATE_TO = process.env.BENCH_MIGRATE_TO
const TARGET_MS = 50
const DAYS = 730
const LIMIT = 50
const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`)

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!

async function migrate(db: Db) {
  if (!MIGRATE_TO) return migrateToLatest(db)
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }) })
  const result = await migrator.migrateTo(MIGRATE_TO)
  if (result.error) throw result.error
  return result
}

/** What the planner knows about each table: reltuples -1 and no pg_stats rows mean never vacuumed nor analysed. */
async function statistics(db: Db) {
  const { rows } = await sql<{ table: string; reltuples: number; relpages: number; analysed: string | null; vacuumed: string | null; columnStats: number }>`
    select c.relname as table, c.reltuples::float8 as reltuples, c.relpages,
      greatest(s.last_analyze, s.last_autoanalyze)::text as analysed, greatest(s.last_vacuum, s.last_autovacuum)::text as vacuumed,
      (select count(*)::int from pg_stats p where p.schemaname = 'public' and p.tablename = c.relname) as "columnStats"
    from pg_class c join pg_stat_user_tables s on s.relid = c.oid
    where c.relname in ('complaints', 'customers', 'timers', 'complaint_events', 'users', 'idempotency_keys')
    order by c.relname`.execute(db)
  return rows
}

interface Case {
  name: string
  /** The i-th request's URL: parameters rotate so that requests do not repeat one page. */
  url: (i: number) => string
}

interface Measured {
  name: string
  items: number
  p50: number
  p95: number
  max: number
}

async function main() {
  const { url, db, reuse } = await benchDatabase(SERVER, DATABASE, log)
  let seeded = { events: 0, seconds: 0 }
  if (!reuse) {
    // Migrated while empty, then grown: the indexes exist before the rows do, as on a database grown in service.
    await migrate(db)
    log(`seeding ${COMPLAINTS} complaints over ${DAYS} days, no analyze`)
    seeded = await seed(url, { complaints: COMPLAINTS, days: DAYS }, { timers: true, log })
    log(`seeded in ${seeded.seconds.toFixed(0)} s`)
  }
  const { rows: migrations } = await sql<{ name: string }>`select name from kysely_migration order by name desc limit 1`.execute(db)
  const stats = await statistics(db)
  for (const s of stats) {
    log(`${s.table}: reltuples ${s.reltuples}, relpages ${s.relpages}, column statistics ${s.columnStats}, analysed ${s.analysed ?? 'never'}, vacuumed ${s.vacuumed ?? 'never'}`)
  }

  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  const app = await buildApp({
    config: { BODY_LIMIT_BYTES: 262_144, DEFAULT_PHONE_COUNTRY: undefined, QUEUE_PREFIX: 'hotline-bench-list' },
    db, redis, logger: createLogger('error', process.stderr),
  })
  await app.ready()
  const token = newToken()
  await ensureBootstrapAdmin(db, hashToken(token))
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' }

  const customers = customersFor(COMPLAINTS)
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString()
  const SORTS = ['createdAt', 'updatedAt', '-updatedAt', 'promisedBy', '-promisedBy']
  // A day's window spread over the two years; the changes of the last hour (a poll), and of the last 30 days.
  const DATE_FILTERS: [string, (i: number) => string][] = [
    ['createdFrom + createdTo (one day)', (i) => `createdFrom=${daysAgo(1 + (i % 700))}&createdTo=${daysAgo(i % 700)}`],
    ['updatedSince (last hour) + sort=updatedAt', () => `updatedSince=${daysAgo(1 / 24)}&sort=updatedAt`],
    ['updatedSince (last 30 days)', () => `updatedSince=${daysAgo(30)}`],
    ['updatedSince (last hour), newest first', () => `updatedSince=${daysAgo(1 / 24)}`],
  ]
  // Spread over the whole history, so each request reads pages no earlier request warmed.
  const spread = (i: number, n: number) => 1 + ((i * 7919) % n)
  const phone = (n: number) => encodeURIComponent(`+86 139 ${String(n).padStart(8, '0').replace(/(\d{4})(\d{4})/, '$1 $2')}`)
  const cases: Case[] = [
    { name: 'state=logged', url: () => '/v1/complaints?state=logged' },
    { name: 'state=escalated (none in the data)', url: () => '/v1/complaints?state=escalated' },
    { name: 'overdue=true', url: () => '/v1/complaints?overdue=true' },
    { name: 'overdue=false', url: () => '/v1/complaints?overdue=false' },
    { name: 'assigneeId (50 agents in turn)', url: (i) => `/v1/complaints?assigneeId=${agentId(1 + (i % AGENTS))}` },
    // Customers 1..2,000 are the frequent ones (about 55 complaints each), the rest about 5.
    { name: 'customerPhone (customers in turn)', url: (i) => `/v1/complaints?customerPhone=${phone(i % 2 ? 1 + (i % 2000) : spread(i, customers))}` },
    { name: 'team (12 teams in turn)', url: (i) => `/v1/complaints?team=team-${i % TEAMS}` },
    { name: 'state=logged + assigneeId', url: (i) => `/v1/complaints?state=logged&assigneeId=${agentId(1 + (i % AGENTS))}` },
    { name: 'state=escalated + assigneeId (none)', url: (i) => `/v1/complaints?state=escalated&assigneeId=${agentId(1 + (i % AGENTS))}` },
    // Issue 16: each order alone, with a state and with an assignee; the date filters likewise.
    ...SORTS.flatMap((sort): Case[] => [
      { name: `sort=${sort}`, url: () => `/v1/complaints?sort=${sort}` },
      { name: `sort=${sort} + state=logged`, url: () => `/v1/complaints?sort=${sort}&state=logged` },
      { name: `sort=${sort} + state=escalated (none)`, url: () => `/v1/complaints?sort=${sort}&state=escalated` },
      { name: `sort=${sort} + assigneeId`, url: (i) => `/v1/complaints?sort=${sort}&assigneeId=${agentId(1 + (i % AGENTS))}` },
    ]),
    ...DATE_FILTERS.flatMap(([name, query]): Case[] => [
      { name, url: (i) => `/v1/complaints?${query(i)}` },
      { name: `${name} + state=logged`, url: (i) => `/v1/complaints?${query(i)}&state=logged` },
      { name: `${name} + assigneeId`, url: (i) => `/v1/complaints?${query(i)}&assigneeId=${agentId(1 + (i % AGENTS))}` },
    ]),
  ]
  const reads: Case[] = [
    { name: 'GET /v1/complaints/{id}', url: (i) => `/v1/complaints/${complaintId(spread(i, COMPLAINTS))}` },
    { name: 'GET /v1/complaints/{id}/events', url: (i) => `/v1/complaints/${complaintId(spread(i, COMPLAINTS))}/events` },
  ]

  const measure = async ({ name, url }: Case): Promise<Measured> => {
    const call = async (i: number) => {
      const response = await app.inject({ method: 'GET', url: url(i), headers })
      if (response.statusCode !== 200) throw new Error(`${url(i)}: ${response.statusCode} ${response.body}`)
      return response
    }
    for (let i = 0; i < WARMUP; i++) await call(RUNS + i)
    const times: number[] = []
    let items = 0
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now()
      const response = await call(i)
      times.push(performance.now() - t0)
      const body = response.json() as { items?: unknown[] }
      items += body.items?.length ?? 1
    }
    times.sort((a, b) => a - b)
    const result = { name, items: items / RUNS, p50: quantile(times, 0.5), p95: quantile(times, 0.95), max: times.at(-1)! }
    log(`${name}: p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms (${result.items.toFixed(1)} items on average)`)
    return result
  }

  const results: Measured[] = []
  for (const c of cases) results.push(await measure({ ...c, url: (i) => `${c.url(i)}&limit=${LIMIT}` }))
  for (const c of reads) results.push(await measure(c))
  const failed = results.filter((r) => r.p95 >= TARGET_MS)

  const cpu = os.cpus()[0]?.model ?? 'cpu'
  const { rows: [server] } = await sql<{ version: string }>`select current_setting('server_version') as version`.execute(db)
  process.stdout.write(`${JSON.stringify({
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, postgres ${server?.version}`,
    database: DATABASE, lastMigration: migrations[0]?.name, complaints: COMPLAINTS, seedSeconds: Math.round(seeded.seconds),
    statistics: stats.map((s) => ({ table: s.table, reltuples: s.reltuples, columnStats: s.columnStats, analysed: s.analysed })),
    runs: RUNS, warmup: WARMUP, limit: LIMIT,
    results: results.map((r) => ({ ...r, p50: Number(r.p50.toFixed(1)), p95: Number(r.p95.toFixed(1)), max: Number(r.max.toFixed(1)) })),
    targetMs: TARGET_MS, failed: failed.map((r) => r.name),
  }, null, 2)}\n`)
  await app.close()
  redis.disconnect()
  await db.destroy()
  if (failed.length > 0) {
    log(`p95 at or over ${TARGET_MS} ms: ${failed.map((r) => r.name).join(', ')}`)
    process.exitCode = 1
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})

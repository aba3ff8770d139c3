// Round trips per request (issue 11): the SQL statements and Redis commands one intake, one read and one resolve
// cost, counted on the real app (app.inject: auth, validation, the transition, the after-commit work) against the
// real Postgres and Redis. Run: npm run bench:round-trips
//   ROUND_TRIPS_MAX_SQL / ROUND_TRIPS_MAX_REDIS: fail (exit 1) when a request exceeds them.
// It uses its own database (hotline_bench_round_trips, recreated) and Redis database 12 (flushed).
import { Writable } from 'node:stream'
import { Pipeline, Redis } from 'ioredis'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { ensureBootstrapAdmin } from '../src/auth/users.repository.js'
import { hashToken, newToken } from '../src/auth/tokens.js'
import { createDb } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'
import { createLogger } from '../src/logger.js'

const SERVER = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12'
const MAX_SQL = Number(process.env.ROUND_TRIPS_MAX_SQL ?? Infinity)
const MAX_REDIS = Number(process.env.ROUND_TRIPS_MAX_REDIS ?? Infinity)

interface Count { sql: string[]; redis: string[]; pipelines: number }
let count: Count = { sql: [], redis: [], pipelines: 0 }

// Every statement any pool client sends, and every Redis command (a pipeline's commands travel in one write: they
// are listed, and the pipeline is counted once as a round trip).
const query = pg.Client.prototype.query
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string }
  count.sql.push((typeof first === 'string' ? first : first?.text ?? '?').replace(/\s+/g, ' ').slice(0, 90))
  return (query as (...a: unknown[]) => unknown).apply(this, args)
} as typeof pg.Client.prototype.query
const sendCommand = Redis.prototype.sendCommand
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
  count.redis.push(String(args[0].name))
  return sendCommand.apply(this, args)
}
const exec = Pipeline.prototype.exec
Pipeline.prototype.exec = function (this: Pipeline, ...args: Parameters<Pipeline['exec']>) {
  count.pipelines++
  return exec.apply(this, args)
}

async function main() {
  const url = new URL('/hotline_bench_round_trips', SERVER).toString()
  const admin = new pg.Client({ connectionString: new URL('/postgres', SERVER).toString() })
  await admin.connect()
  await admin.query('drop database if exists hotline_bench_round_trips with (force)')
  await admin.end()
  await ensureDatabase(url)
  const db = createDb(url, { max: 5 })
  await migrateToLatest(db)
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  await redis.flushdb()
  const token = newToken()
  await ensureBootstrapAdmin(db, hashToken(token))
  const logger = createLogger('warn', new Writable({ write: (_chunk, _encoding, done) => done() }))
  const app = await buildApp({ config: { BODY_LIMIT_BYTES: 262_144, DEFAULT_PHONE_COUNTRY: undefined, QUEUE_PREFIX: 'hotline-round-trips' }, db, redis, logger })
  await app.ready()
  const call = async (method: 'GET' | 'POST', path: string, bearer: string, payload?: object) => {
    const response = await app.inject({ method, url: path, headers: { authorization: `Bearer ${bearer}` }, ...(payload ? { payload } : {}) })
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${response.body}`)
    return response.json() as { id: string; token: string }
  }
  const agent = await call('POST', '/v1/users', token, { name: 'Agent', role: 'agent', compensationLimit: 1_000 })
  const measured = async (label: string, request: () => Promise<{ id: string }>) => {
    await request() // warm: the first request of a kind loads caches a long-running process already has
    count = { sql: [], redis: [], pipelines: 0 }
    const result = await request()
    // The after-commit work runs before the answer is sent; a short pause lets any fire-and-forget publish land.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const rows = { label, sql: count.sql.length, transactions: count.sql.filter((s) => /^begin/i.test(s)).length,
      redisCommands: count.redis.length }
    process.stdout.write(`\n${label}: ${rows.sql} SQL statements (${rows.transactions} transactions), ` +
      `${count.redis.length} Redis commands in ${count.pipelines} pipelines\n`)
    for (const statement of count.sql) process.stdout.write(`  sql   ${statement}\n`)
    process.stdout.write(`  redis ${count.redis.join(' ')}\n`)
    return { ...rows, id: result.id }
  }
  const body = (n: number) => ({ customer: { name: 'Li Wei', phone: `+86 138 0013 ${String(8000 + n)}` }, category: 'delivery', summary: 'Kettle arrived with a cracked lid' })
  let n = 0
  const intake = await measured('intake POST /v1/complaints', () => call('POST', '/v1/complaints', agent.token, body(n++)))
  const read = await measured('read GET /v1/complaints/{id}', () => call('GET', `/v1/complaints/${intake.id}`, agent.token))
  const fresh = [await call('POST', '/v1/complaints', agent.token, body(n++)), await call('POST', '/v1/complaints', agent.token, body(n++))]
  const resolve = await measured('resolve POST /v1/complaints/{id}/resolve', () =>
    call('POST', `/v1/complaints/${fresh.shift()!.id}/resolve`, agent.token, { summary: 'Replacement lid sent' }))
  await app.close()
  redis.disconnect()
  await db.destroy()
  const over = [intake, read, resolve].filter((r) => r.sql > MAX_SQL || r.redisCommands > MAX_REDIS)
  if (over.length > 0) {
    process.stderr.write(`over the limit (${MAX_SQL} SQL, ${MAX_REDIS} Redis): ${over.map((r) => r.label).join('; ')}\n`)
    process.exit(1)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})

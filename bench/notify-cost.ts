// What telling the customer costs a transition (issue 13), as CPU time rather than throughput: the same intakes and
// resolves with and without both channels configured, alternating, each request's CPU time summed over the three
// processes that serve it (this Node process, the Postgres backends of its pool, a Redis server of its own). CPU time
// barely moves when other work shares the machine, where a throughput ratio on two shared cores swings by 20 %.
// No worker runs: what is measured is the request, not the sending. Run: npm run bench:notify-cost
//   NOTIFY_COST_ROUNDS (default 4) pairs of rounds, NOTIFY_COST_REQUESTS (default 1500) intakes and resolves a round;
//   NOTIFY_COST_ONLY=plain|telling runs one side only (to profile it: node --cpu-prof --import tsx bench/notify-cost.ts);
//   NOTIFY_COST_AFTER_MIGRATE='<SQL>' runs that SQL after migrating (what dropping an index or a trigger would save);
//   NOTIFY_COST_DATABASE names its database (two runs side by side).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { buildApp } from '../src/app.js'
import { ensureBootstrapAdmin } from '../src/auth/users.repository.js'
import { hashToken, newToken } from '../src/auth/tokens.js'
import { loadConfig } from '../src/config.js'
import { createDb } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'
import { createLogger } from '../src/logger.js'
import { refreshReportFacts } from '../src/reports/facts-refresh.js'
import { refreshSearchRows } from '../src/search/search-refresh.js'
import { admin, databaseUrl, freePort, log } from './lib/processes.js'

const ROUNDS = Number(process.env.NOTIFY_COST_ROUNDS ?? 4)
const REQUESTS = Number(process.env.NOTIFY_COST_REQUESTS ?? 1500)
const ONLY = process.env.NOTIFY_COST_ONLY as 'plain' | 'telling' | undefined
const CONCURRENCY = 8
const DATABASE = process.env.NOTIFY_COST_DATABASE ?? 'hotline_bench_notify_cost'
const CHANNELS = { SMTP_URL: 'smtp://127.0.0.1:2525', SMS_WEBHOOK_URL: 'http://127.0.0.1:2526/sms', SMS_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' }
const TICKS_PER_SECOND = 100 // Linux's USER_HZ, what /proc/<pid>/stat counts in

const cpuOfProcess = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND // utime, stime
}

async function main() {
  await admin((c) => c.query(`drop database if exists ${DATABASE} with (force)`))
  const url = databaseUrl(DATABASE)
  await ensureDatabase(url)
  const redisPort = await freePort()
  const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const redis = new Redis({ port: redisPort, maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 50 ? null : 100) })
  await redis.ping()
  const db = createDb(url, { max: CONCURRENCY })
  await migrateToLatest(db)
  if (process.env.NOTIFY_COST_AFTER_MIGRATE) await sql.raw(process.env.NOTIFY_COST_AFTER_MIGRATE).execute(db)
  const token = newToken()
  await ensureBootstrapAdmin(db, hashToken(token))
  const logger = createLogger('warn', new Writable({ write: (_chunk, _encoding, done) => done() }))
  const appWith = async (channels: object) => {
    const config = { ...loadConfig({ DATABASE_URL: url, REDIS_URL: `redis://127.0.0.1:${redisPort}`, RATE_LIMIT_PER_TOKEN: '1000000', ...channels }), QUEUE_PREFIX: 'hotline-notify-cost' }
    const app = await buildApp({ config, db, redis, logger })
    await app.ready()
    return app
  }
  const plain = await appWith({})
  const telling = await appWith(CHANNELS)
  const call = async (app: FastifyInstance, method: 'GET' | 'POST', path: string, bearer: string, payload?: object) => {
    const response = await app.inject({ method, url: path, headers: { authorization: `Bearer ${bearer}` }, ...(payload ? { payload } : {}) })
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${response.body}`)
    return response.json() as { id: string; token: string }
  }
  const agent = await call(plain, 'POST', '/v1/users', token, { name: 'Agent', role: 'agent', compensationLimit: 1_000 })

  // The pool's backends (the query's own is one of them: it counts like the others).
  const backends = async () =>
    (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = ${DATABASE}`.execute(db)).rows.map((r) => r.pid)
  const redisCpu = async () => {
    const info = await redis.info('cpu')
    const seconds = (name: string) => Number(new RegExp(`^used_cpu_${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
    return seconds('user') + seconds('sys')
  }
  const sample = async () => {
    const pids = await backends()
    const node = process.cpuUsage()
    return { pids, postgres: pids.reduce((sum, pid) => sum + cpuOfProcess(pid), 0), redis: await redisCpu(), node: (node.user + node.system) / 1e6 }
  }
  // Runs `count` requests, CONCURRENCY at a time, and answers the CPU seconds each process spent on them.
  const measure = async (count: number, request: (i: number) => Promise<unknown>) => {
    const before = await sample()
    let next = 0
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await request(next++)
    }))
    const after = await sample()
    // A backend that closed during the round takes its CPU time with it: the pool keeps its connections open.
    return { node: after.node - before.node, postgres: after.postgres - before.postgres, redis: after.redis - before.redis }
  }

  let serial = 0
  const body = () => {
    const n = serial++
    return { customer: { name: 'Li Wei', phone: `+86 138 ${String(n).padStart(8, '0')}`, email: `li.wei.${n}@example.com` },
      category: 'delivery', summary: 'Kettle arrived with a cracked lid' }
  }
  type Cost = Awaited<ReturnType<typeof measure>>
  type Side = { intake: Cost[]; resolve: Cost[]; refresh: Cost[]; search: Cost[] }
  const results: Record<'plain' | 'telling', Side> = { plain: { intake: [], resolve: [], refresh: [], search: [] }, telling: { intake: [], resolve: [], refresh: [], search: [] } }
  const round = async (name: 'plain' | 'telling', app: FastifyInstance) => {
    const ids: string[] = []
    results[name].intake.push(await measure(REQUESTS, async () => ids.push((await call(app, 'POST', '/v1/complaints', agent.token, body())).id)))
    results[name].resolve.push(await measure(REQUESTS, (i) => call(app, 'POST', `/v1/complaints/${ids[i]}/resolve`, agent.token, { summary: 'Replacement lid sent' })))
    // The report and search rows those requests noted, built as the worker builds them (migrations 0035 and 0037):
    // work moved off the request, not removed, so it is counted too.
    results[name].refresh.push(await measure(1, () => refreshReportFacts(db)))
    results[name].search.push(await measure(1, () => refreshSearchRows(db)))
  }
  await round('plain', plain) // warm-up, not counted
  await round('telling', telling)
  results.plain = { intake: [], resolve: [], refresh: [], search: [] }
  results.telling = { intake: [], resolve: [], refresh: [], search: [] }
  for (let r = 0; r < ROUNDS; r++) {
    const pair = (r % 2 === 0 ? [['plain', plain], ['telling', telling]] : [['telling', telling], ['plain', plain]]) as ['plain' | 'telling', FastifyInstance][]
    for (const [name, app] of pair.filter(([side]) => (ONLY ?? side) === side)) {
      await round(name, app)
      const last = results[name]
      log(`round ${r + 1}/${ROUNDS} ${name}: resolve ${perRequest(last.resolve.at(-1)!)} intake ${perRequest(last.intake.at(-1)!)}`)
    }
  }
  const notifications = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  process.stdout.write(`\nCPU µs per request (median of ${ROUNDS} rounds of ${REQUESTS}, ${CONCURRENCY} at a time; ${notifications.n} notifications written)\n`)
  process.stdout.write('| request | channels | Node | Postgres | Redis | total |\n| --- | --- | --- | --- | --- | --- |\n')
  for (const kind of ['intake', 'resolve'] as const) {
    for (const name of (['plain', 'telling'] as const).filter((side) => (ONLY ?? side) === side)) {
      const m = (part: keyof Cost) => median(results[name][kind].map((cost) => (cost[part] / REQUESTS) * 1e6))
      const total = median(results[name][kind].map((cost) => ((cost.node + cost.postgres + cost.redis) / REQUESTS) * 1e6))
      process.stdout.write(`| ${kind} | ${name === 'plain' ? 'none' : 'email + SMS'} | ${m('node').toFixed(0)} | ${m('postgres').toFixed(0)} | ${m('redis').toFixed(0)} | ${total.toFixed(0)} |\n`)
    }
  }
  for (const name of (['plain', 'telling'] as const).filter((side) => (ONLY ?? side) === side)) {
    for (const [part, label] of [['refresh', 'report rows rebuilt off the request, per intake and its resolve'], ['search', 'search rows built off the request, per intake']] as const) {
      const postgres = median(results[name][part].map((cost) => (cost.postgres / REQUESTS) * 1e6))
      process.stdout.write(`| ${label} | ${name === 'plain' ? 'none' : 'email + SMS'} | | ${postgres.toFixed(0)} | | ${postgres.toFixed(0)} |\n`)
    }
  }
  // What grows with the tables: rows read by sequential scans (the tables are never analysed, as in production here).
  const scans = await sql<{ relname: string; seqScan: string; seqTupRead: string }>`
    select relname, seq_scan, seq_tup_read from pg_stat_user_tables where seq_tup_read > 0 order by seq_tup_read desc limit 8`.execute(db)
  process.stdout.write(`\nrows read by sequential scans: ${scans.rows.map((r) => `${r.relname} ${r.seqTupRead} (${r.seqScan} scans)`).join(', ')}\n`)
  await plain.close()
  await telling.close()
  redis.disconnect()
  await db.destroy()
  redisServer.kill()
  await admin((c) => c.query(`drop database if exists ${DATABASE} with (force)`))
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const perRequest = (cost: { node: number; postgres: number; redis: number }) =>
  `${(((cost.node + cost.postgres + cost.redis) / REQUESTS) * 1e6).toFixed(0)} µs`

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})

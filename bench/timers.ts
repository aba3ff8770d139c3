// Timer benchmark (issue 3): lateness of 10,000 deadlines due within 10 s, Redis bytes per pending timer, and the
// time to re-arm 100,000 pending timers after Redis loses them. Run: npm run bench:timers
// It uses its own database (hotline_bench, recreated) and Redis database 15 (flushed): nothing else is touched.
import os from 'node:os'
import { sql } from 'kysely'
import { Redis } from 'ioredis'
import { spawn } from 'node:child_process'
import { decide, MACHINE_VERSION, start } from '../workflows/complaint.machine.js'
import { createDb } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'
import { reconcile } from '../src/timers/reconciler.js'
import { Scheduler } from '../src/timers/scheduler.js'

const SERVER = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const DUE = Number(process.env.BENCH_TIMERS ?? 10_000)
const REARM = Number(process.env.BENCH_REARM ?? 100_000)
const PREFIX = 'hotline-bench'
const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`)

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)![1])
}

async function main() {
  const url = new URL(SERVER)
  url.pathname = '/hotline_bench'
  const admin = createDb(new URL('/postgres', SERVER).toString(), { max: 1 })
  await sql`drop database if exists hotline_bench with (force)`.execute(admin)
  await admin.destroy()
  await ensureDatabase(url.toString())
  const db = createDb(url.toString(), { max: 20 })
  await migrateToLatest(db)
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  await redis.flushdb()

  log(`seeding ${DUE} complaints`)
  const input = { maxLevel: 3, followUpMaxAttempts: 3 }
  const actor = { id: null, role: 'agent' as const, level: null, compensationLimit: 0 }
  const logged = decide(start(input).persisted, { type: 'LOG', actor })
  if (!logged.ok) throw new Error('LOG refused')
  const customer = await db.insertInto('customers').values({ name: 'Bench', phone: '+8613800000000', email: null, externalId: null, tier: null }).returning('id').executeTakeFirstOrThrow()
  const ids: string[] = []
  for (let batch = 0; batch < DUE; batch += 1_000) {
    const rows = await db.insertInto('complaints').values(Array.from({ length: Math.min(1_000, DUE - batch) }, (_, i) => ({
      reference: `C-BENCH-${String(batch + i).padStart(7, '0')}`, state: 'logged', channel: 'phone', customerId: customer.id,
      category: 'delivery', severity: 'normal', summary: 'bench', machineVersion: MACHINE_VERSION,
      machineSnapshot: JSON.stringify(logged.persisted), escalation: 'null', resolution: 'null', followUp: 'null',
    }))).returning('id').execute()
    ids.push(...rows.map((r) => r.id))
  }

  // The worker runs as it does in production: its own process, here with the default settings.
  const worker = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/wprof'] : []), '--import', 'tsx', 'src/cli.ts', 'worker'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, DATABASE_URL: url.toString(), REDIS_URL, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'warn', RECONCILE_EVERY: 'PT1H' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const scheduler = new Scheduler(redis, PREFIX)
  const waitAllFired = async (label: string) => {
    const started = Date.now()
    for (;;) {
      const { n } = (await sql<{ n: string }>`select count(*) as n from timers where fired_at is null`.execute(db)).rows[0]!
      if (Number(n) === 0) return
      if (Date.now() - started > 120_000) throw new Error(`${label}: ${n} timers still pending after 2 minutes`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  // A long-running worker is warm: 1,000 deadlines due at once first, not measured.
  const warmUp = ids.slice(0, 1_000).map((complaintId) => ({
    id: `${complaintId}.response_warning.warmup`, complaintId, kind: 'response_warning', armedState: 'logged', armedSeq: 1, dueAt: new Date(),
  }))
  await db.insertInto('timers').values(warmUp).execute()
  await scheduler.schedule(warmUp)
  await waitAllFired('warm-up')
  log('worker warm')

  // 1. Lateness: DUE warnings spread evenly over 10 s, starting 3 s from now (time to enqueue them first).
  const t0 = Date.now() + 3_000
  const timers = ids.map((complaintId, i) => ({
    id: `${complaintId}.response_warning.2`, complaintId, kind: 'response_warning', armedState: 'logged', armedSeq: 2,
    dueAt: new Date(t0 + Math.floor((i * 10_000) / ids.length)),
  }))
  for (let i = 0; i < timers.length; i += 2_000) await db.insertInto('timers').values(timers.slice(i, i + 2_000)).execute()
  const memoryBefore = await usedMemory(redis)
  const enqueueStart = Date.now()
  for (let i = 0; i < timers.length; i += 2_000) await scheduler.schedule(timers.slice(i, i + 2_000))
  const enqueueMs = Date.now() - enqueueStart
  const bytesPerTimer = (await usedMemory(redis) - memoryBefore) / timers.length
  log(`enqueued ${timers.length} in ${enqueueMs} ms, ${bytesPerTimer.toFixed(0)} bytes each; firing`)

  await waitAllFired('lateness')
  worker.kill('SIGTERM')
  await new Promise((resolve) => worker.once('exit', resolve))
  const lateness = (await sql<{ ms: number }>`
    select extract(epoch from (e.at - t.due_at)) * 1000 as ms
    from timers t join complaint_events e on e.complaint_id = t.complaint_id and e.data ->> 'timerId' = t.id
    where t.id like '%.response_warning.2'`.execute(db))
    .rows.map((r) => Number(r.ms)).sort((a, b) => a - b)
  const fired = lateness.length

  // 2. Re-arm: REARM pending timers a day away, Redis emptied, one reconcile.
  log(`seeding ${REARM} pending timers`)
  const far = new Date(Date.now() + 86_400_000)
  for (let i = 0; i < REARM; i += 5_000) {
    await db.insertInto('timers').values(Array.from({ length: Math.min(5_000, REARM - i) }, (_, j) => {
      const complaintId = ids[(i + j) % ids.length]!
      return { id: `${complaintId}.follow_up.${1_000 + i + j}`, complaintId, kind: 'follow_up', armedState: 'follow_up', armedSeq: 1_000 + i + j, dueAt: far }
    })).execute()
  }
  await redis.flushdb()
  const memoryEmpty = await usedMemory(redis)
  const rearmStart = Date.now()
  const report = await reconcile(db, scheduler, { onProgress: (p) => { if (p.pending % 20_000 === 0) log(`re-armed ${p.rearmed} of ${p.pending} checked`) } })
  const rearmMs = Date.now() - rearmStart
  const bytesAtScale = (await usedMemory(redis) - memoryEmpty) / report.rearmed

  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    deadlines: DUE, fired,
    latenessMs: { p50: quantile(lateness, 0.5), p99: quantile(lateness, 0.99), max: lateness.at(-1) },
    enqueueMs, redisBytesPerPendingTimer: Math.round(bytesPerTimer), redisBytesPerPendingTimerAt100k: Math.round(bytesAtScale),
    rearm: { timers: report.rearmed, ms: rearmMs },
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  await scheduler.close()
  redis.disconnect()
  await db.destroy()
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})

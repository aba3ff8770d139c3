// Timer benchmark (issues 3 and 12). Run: npm run bench:timers
// 1. Lateness of 10,000 warnings due within 10 s (no routing), enqueued directly.
// 2. Lateness with routing: ROUTED_RATE promises a second falling due for ROUTED_SECONDS, each with a warning a
//    second before; each deadline escalates and is routed to a supervisor (three at each of three levels). They
//    start in Postgres beyond the horizon and reach the queue through the worker's loader, as promises days old do.
//    Also printed for that minute: p99 by five seconds of due time, the machine's busy and stolen CPU, and the
//    write-ahead log written per promise with the checkpoints begun (both slow a run whatever the code does).
// 3. Redis bytes per pending deadline days away, at 100,000 and 1,000,000 (they stay in Postgres).
// 4. The time to re-arm 100,000 queued timers within the horizon after Redis loses them.
// It uses its own database (hotline_bench, recreated) and Redis database 15 (flushed): nothing else is touched.
// Sizes: BENCH_TIMERS, BENCH_ROUTED_RATE, BENCH_ROUTED_SECONDS, BENCH_FAR (comma-separated), BENCH_REARM; on a loaded
// machine BENCH_ROUTED_LEAD_MS (30,000) gives the writing of the routed promises more time. The complaints get their
// report rows before the run, as logged complaints have them (BENCH_REPORT_ROWS=0: none, as before 2026-11-28). The worker is
// its own process: BENCH_PROFILE=1 writes its CPU profile to /tmp/wprof, BENCH_WORKER_FLAGS passes it Node flags.
// For the routed phase it also prints the batch trace (each timer batch's phases, timed in the worker: the time spent
// waiting for and holding the routing lock, bench/batch-trace.ts) and the CPU time of the worker and of the Postgres
// backends serving this database, per promise: figures a noisy machine moves less than lateness.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { sql } from 'kysely'
import { Redis } from 'ioredis'
import { spawn } from 'node:child_process'
import { decide, MACHINE_VERSION, start } from '../workflows/complaint.machine.js'
import { createDb, type Db } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'
import { loadDueSoon } from '../src/timers/loader.js'
import { reconcile } from '../src/timers/reconciler.js'
import { Scheduler } from '../src/timers/scheduler.js'
import { jsonb } from '../src/db/jsonb.js'

const SERVER = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
const DUE = Number(process.env.BENCH_TIMERS ?? 10_000)
const REARM = Number(process.env.BENCH_REARM ?? 100_000)
const ROUTED_RATE = Number(process.env.BENCH_ROUTED_RATE ?? 1_000)
const ROUTED_SECONDS = Number(process.env.BENCH_ROUTED_SECONDS ?? 60)
// How long before the first routed promise falls due it is written: writing them all must end a horizon before that.
const ROUTED_LEAD_MS = Number(process.env.BENCH_ROUTED_LEAD_MS ?? 30_000)
const FAR = (process.env.BENCH_FAR ?? '100000,1000000').split(',').map(Number)
const HORIZON = 'PT20S'
const HORIZON_MS = 20_000
const PREFIX = 'hotline-bench'
const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`)

// The machine's CPU time so far, from /proc/stat (Linux; zeros elsewhere): busy, idle and stolen, in ticks. Steal is
// time the hypervisor gave this virtual machine's cores to a neighbour: it comes and goes, and a run with much of it
// is slower whatever the code does.
function cpuTicks(): { busy: number; idle: number; steal: number } {
  const line = (() => { try { return readFileSync('/proc/stat', 'utf8').split('\n')[0]! } catch { return '' } })()
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number)
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal }
}
const cpuShare = (from: ReturnType<typeof cpuTicks>, to: ReturnType<typeof cpuTicks>) => {
  const [busy, idle, steal] = [to.busy - from.busy, to.idle - from.idle, to.steal - from.steal]
  const total = busy + idle + steal || 1
  return { busyPct: Math.round((busy / total) * 100), stealPct: Math.round((steal / total) * 100) }
}

// Write-ahead log written and checkpoints begun so far, server-wide: a checkpoint makes the next change to every page
// write the whole page to the log, so the log's volume, and the checkpoints it forces, show in lateness.
async function walState(db: Db): Promise<{ bytes: number; fpi: number; checkpoints: number }> {
  const { rows: [row] } = await sql<{ bytes: string; fpi: string; checkpoints: string }>`
    select w.wal_bytes as bytes, w.wal_fpi as fpi, b.checkpoints_timed + b.checkpoints_req as checkpoints
    from pg_stat_wal w, pg_stat_bgwriter b`.execute(db)
  return { bytes: Number(row!.bytes), fpi: Number(row!.fpi), checkpoints: Number(row!.checkpoints) }
}

// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; 0 when it is gone or not Linux.
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

// The Postgres backends serving hotline_bench but this one (the worker's pool): pid -> CPU seconds so far.
async function backendCpu(db: Db): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db)
  return new Map(rows.map((r) => [r.pid, cpuSecondsOf(r.pid)]))
}

// What the batch trace says of the batches that began within [from, to] (epoch ms): means in ms, and what share of
// the phase's wall time some batch held the routing lock (1: the batches took turns on it all along).
function traceSummary(file: string, from: number, to: number) {
  let lines: string[]
  try { lines = readFileSync(file, 'utf8').split('\n').filter(Boolean) } catch { return undefined }
  // The batches that fired something (one whose timers were all claimed already stops before planning).
  const batches = lines.map((l) => JSON.parse(l) as Record<string, number>).filter((b) => b.at! >= from && b.at! <= to && b.planned !== undefined)
  if (batches.length === 0) return undefined
  const mean = (f: (b: Record<string, number>) => number) => Math.round((batches.reduce((sum, b) => sum + f(b), 0) / batches.length) * 10) / 10
  const routing = batches.filter((b) => b.routing !== undefined)
  const waits = routing.map((b) => (b.routed === undefined ? 0 : b.routed - b.routing!)).sort((a, b) => a - b)
  const held = routing.reduce((sum, b) => sum + (b.routed === undefined ? 0 : b.committed! - b.routed), 0)
  const busy = batches.reduce((sum, b) => sum + b.committed!, 0)
  return {
    batches: batches.length, routingBatches: routing.length, timersPerBatch: mean((b) => b.timers!), inFlight: Math.round((busy / (to - from)) * 100) / 100,
    ms: {
      begin: mean((b) => b.begun!), lockComplaints: mean((b) => b.locked! - b.begun!), claim: mean((b) => b.claimed! - b.locked!),
      routingLockWait: routing.length ? Math.round((waits.reduce((a, b) => a + b, 0) / waits.length) * 10) / 10 : 0,
      routingLockWaitP99: routing.length ? Math.round(quantile(waits, 0.99)) : 0,
      readLoads: mean((b) => (b.loaded === undefined ? 0 : b.loaded - (b.routed ?? b.routing!))),
      plan: mean((b) => b.planned! - (b.loaded ?? b.claimed!)), write: mean((b) => b.written! - b.planned!), commit: mean((b) => b.committed! - b.written!),
      routingLockHeld: routing.length ? Math.round((held / routing.length) * 10) / 10 : 0,
    },
    routingLockHeldShare: Math.round((held / (to - from)) * 100) / 100,
  }
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)![1])
}

const latenessOf = async (db: Db, query: ReturnType<typeof sql<{ ms: number }>>) =>
  (await query.execute(db)).rows.map((r) => Number(r.ms)).sort((a, b) => a - b)
const summary = (sorted: number[]) => ({ n: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) })

// The worker, ended if the benchmark fails (it would keep firing into the next run's database otherwise).
let workerProcess: ReturnType<typeof spawn> | undefined

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

  const routed = ROUTED_RATE * ROUTED_SECONDS
  const WARM = 1_000
  log(`seeding ${WARM + DUE + routed} complaints and 9 supervisors`)
  const input = { maxLevel: 3, followUpMaxAttempts: 3 }
  const actor = { id: null, role: 'agent' as const, level: null, compensationLimit: 0 }
  const logged = decide(start(input).persisted, { type: 'LOG', actor })
  if (!logged.ok) throw new Error('LOG refused')
  const customer = await db.insertInto('customers').values({ name: 'Bench', phone: '+8613800000000', email: null, externalId: null, tier: null }).returning('id').executeTakeFirstOrThrow()
  await db.insertInto('users').values(Array.from({ length: 9 }, (_, i) => ({
    name: `Supervisor ${i}`, role: 'supervisor' as const, level: 1 + (i % 3), compensationLimit: '100000', teams: ['team-0'],
    tokenHash: `bench-${i}`, updatedAt: new Date(),
  }))).execute()
  const ids: string[] = []
  for (let batch = 0; batch < WARM + DUE + routed; batch += 1_000) {
    const rows = await db.insertInto('complaints').values(Array.from({ length: Math.min(1_000, WARM + DUE + routed - batch) }, (_, i) => ({
      reference: `C-BENCH-${String(batch + i).padStart(7, '0')}`, state: 'logged' as const, channel: 'phone' as const, customerId: customer.id,
      category: 'delivery', severity: 'normal' as const, summary: 'bench', machineVersion: MACHINE_VERSION, team: 'team-0',
      machineSnapshot: jsonb(logged.persisted), escalation: jsonb(null), resolution: jsonb(null), followUp: jsonb(null),
    }))).returning('id').execute()
    ids.push(...rows.map((r) => r.id))
  }
  // Their report rows, as the API's intake leaves them (a logged complaint has one). Without them the first
  // escalation of each made the worker's report loop rebuild a whole row instead of setting `escalated` and `level`
  // (migration 0016's shortcut): a cost no real promise pays, counted in the Postgres CPU per promise (RESULTS.md).
  if (process.env.BENCH_REPORT_ROWS !== '0') {
    for (let i = 0; i < ids.length; i += 5_000) await sql`select report_facts_refresh(${ids.slice(i, i + 5_000)}::uuid[])`.execute(db)
  }
  const warm = ids.slice(0, WARM)
  const warned = ids.slice(WARM, WARM + DUE)
  const promised = ids.slice(WARM + DUE)

  // The worker runs as it does in production: its own process, default settings but for a horizon short enough
  // that the routed promises cross it during the run (and no reconcile round in the middle of the measurement).
  const traceFile = `/tmp/hotline-bench-trace-${process.pid}.jsonl`
  const worker = workerProcess = spawn(process.execPath, ['--import', 'tsx', '--import', './bench/batch-trace.ts', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/wprof'] : []), ...(process.env.BENCH_WORKER_FLAGS?.split(' ').filter(Boolean) ?? []), 'src/cli.ts', 'worker'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, DATABASE_URL: url.toString(), REDIS_URL, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'warn', RECONCILE_EVERY: 'PT1H', TIMER_HORIZON: HORIZON, TIMER_LOAD_EVERY: 'PT2S', BENCH_TRACE_FILE: traceFile },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const scheduler = new Scheduler(redis, PREFIX)
  const waitFor = async (label: string, query: ReturnType<typeof sql<{ n: string }>>, want: number, limitMs = 180_000, everyMs = 250) => {
    const started = Date.now()
    for (;;) {
      const { n } = (await query.execute(db)).rows[0]!
      if (Number(n) >= want) return
      if (Date.now() - started > limitMs) throw new Error(`${label}: ${n} of ${want} after ${limitMs / 1000} s`)
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  }
  const unfired = sql<{ n: string }>`select (count(*) = 0)::int as n from timers where fired_at is null and cancelled_at is null and due_at < now() + interval '1 minute'`
  // A long-running worker is warm: first, not measured, 1,000 complaints whose warning and then deadline fall due at
  // once, each escalating and routed (every path the measurement takes, compiled and its statements prepared).
  const warmUp = warm.flatMap((complaintId) => [
    { id: `${complaintId}.response_warning.1`, complaintId, kind: 'response_warning' as const, armedState: 'logged' as const, armedSeq: 1, dueAt: new Date() },
    { id: `${complaintId}.response.1`, complaintId, kind: 'response' as const, armedState: 'logged' as const, armedSeq: 1, dueAt: new Date(Date.now() + 500) },
  ])
  await db.insertInto('timers').values(warmUp).execute()
  await scheduler.schedule(warmUp)
  await waitFor('warm-up', sql<{ n: string }>`select count(*) as n from complaints where id = any(${warm}::uuid[]) and escalation ->> 'assigneeId' is not null`, WARM)
  await waitFor('warm-up', unfired, 1)
  log('worker warm')

  // 1. Lateness without routing: DUE warnings spread evenly over 10 s, starting 3 s from now, enqueued directly.
  const t0 = Date.now() + 3_000
  const timers = warned.map((complaintId, i) => ({
    id: `${complaintId}.response_warning.2`, complaintId, kind: 'response_warning' as const, armedState: 'logged' as const, armedSeq: 2,
    dueAt: new Date(t0 + Math.floor((i * 10_000) / warned.length)),
  }))
  for (let i = 0; i < timers.length; i += 2_000) await db.insertInto('timers').values(timers.slice(i, i + 2_000)).execute()
  const memoryBefore = await usedMemory(redis)
  const enqueueStart = Date.now()
  for (let i = 0; i < timers.length; i += 2_000) await scheduler.schedule(timers.slice(i, i + 2_000))
  const enqueueMs = Date.now() - enqueueStart
  const bytesPerTimer = (await usedMemory(redis) - memoryBefore) / timers.length
  log(`enqueued ${timers.length} in ${enqueueMs} ms, ${bytesPerTimer.toFixed(0)} bytes each; firing`)
  await waitFor('warnings', unfired, 1)
  const warnings = await latenessOf(db, sql<{ ms: number }>`
    select extract(epoch from (e.at - t.due_at)) * 1000 as ms
    from timers t join complaint_events e on e.complaint_id = t.complaint_id and e.data ->> 'timerId' = t.id
    where t.id like '%.response_warning.2'`)

  // 2. With routing: each promise's deadline and its warning a second before, in Postgres beyond the horizon
  // (queued = false, as a promise made days ago is), written once as the API writes them, falling due from 30 s
  // (BENCH_ROUTED_LEAD_MS) after the writing began at ROUTED_RATE a second. (They used to be written a day away and then moved by one UPDATE: that
  // left a dead version of each row and its index entries for the firing to step over, which no promise has.)
  const t1 = Date.now() + ROUTED_LEAD_MS
  const rows = promised.flatMap((complaintId, i) => {
    const due = t1 + Math.floor((i * 1_000) / ROUTED_RATE)
    return [
      { id: `${complaintId}.response_warning.3`, complaintId, kind: 'response_warning' as const, armedState: 'logged' as const, armedSeq: 3, dueAt: new Date(due - 1_000), queued: false },
      { id: `${complaintId}.response.3`, complaintId, kind: 'response' as const, armedState: 'logged' as const, armedSeq: 3, dueAt: new Date(due), queued: false },
    ]
  })
  for (let i = 0; i < rows.length; i += 5_000) await db.insertInto('timers').values(rows.slice(i, i + 5_000)).execute()
  if (Date.now() > t1 - 1_000 - HORIZON_MS) throw new Error(`writing the promises took ${Date.now() - t1 + ROUTED_LEAD_MS} ms: the first would be loaded late (BENCH_ROUTED_LEAD_MS)`)
  log(`${routed} promises due from ${new Date(t1).toISOString()} over ${ROUTED_SECONDS} s; waiting for them to be routed`)
  await new Promise((resolve) => setTimeout(resolve, t1 - Date.now()))
  const cpuBefore = cpuTicks()
  const walBefore = await walState(db)
  const [workerCpuBefore, backendsBefore, phaseStart] = [cpuSecondsOf(worker.pid!), await backendCpu(db), Date.now()]
  // The warm-up's complaints are escalated and assigned too. Polled once a second through the index of escalated
  // complaints by assignee: a count of the history's events every
  // 250 ms read the whole growing table and took a share of the CPU the worker was being measured on.
  await waitFor('routing', sql<{ n: string }>`select count(*) as n from complaints where state = 'escalated' and escalation ->> 'assigneeId' is not null`,
    WARM + routed, ROUTED_SECONDS * 1_000 + 180_000, 1_000)
  const cpu = cpuShare(cpuBefore, cpuTicks())
  const phaseEnd = Date.now()
  const workerCpu = cpuSecondsOf(worker.pid!) - workerCpuBefore
  const postgresCpu = [...(await backendCpu(db)).entries()].reduce((sum, [pid, s]) => sum + s - (backendsBefore.get(pid) ?? 0), 0)
  const cpuPerPromise = { workerMs: Math.round((workerCpu / routed) * 1e6) / 1e3, postgresMs: Math.round((postgresCpu / routed) * 1e6) / 1e3 }
  const walAfter = await walState(db)
  const wal = {
    bytesPerPromise: Math.round((walAfter.bytes - walBefore.bytes) / routed),
    fullPagesPerPromise: Math.round(((walAfter.fpi - walBefore.fpi) / routed) * 100) / 100,
    checkpointsBegun: walAfter.checkpoints - walBefore.checkpoints,
  }
  worker.kill('SIGTERM')
  await new Promise((resolve) => worker.once('exit', resolve))
  const batchTrace = traceSummary(traceFile, phaseStart, phaseEnd)
  const promisedFilter = sql`t.id like '%.response.3'`
  const deadlines = await latenessOf(db, sql<{ ms: number }>`
    select extract(epoch from (e.at - t.due_at)) * 1000 as ms from timers t
    join complaint_events e on e.complaint_id = t.complaint_id and e.type = 'deadline.response_missed'
    where ${promisedFilter}`)
  // p99 lateness of the deadlines by the five seconds they fell due in: a bump (steal, a checkpoint) shows where it was.
  const { rows: steps } = await sql<{ step: number; p99: number }>`
    select floor(extract(epoch from (t.due_at - ${new Date(t1)}::timestamptz)) / 5) as step, round(percentile_cont(0.99) within group (order by extract(epoch from (e.at - t.due_at)) * 1000))::int as p99
    from timers t join complaint_events e on e.complaint_id = t.complaint_id and e.type = 'deadline.response_missed'
    where ${promisedFilter}
    group by 1 order by 1`.execute(db)
  const routings = await latenessOf(db, sql<{ ms: number }>`
    select extract(epoch from (e.at - t.due_at)) * 1000 as ms from timers t
    join complaint_events e on e.complaint_id = t.complaint_id and e.type = 'escalation.assigned'
    where ${promisedFilter}`)
  const routedWarnings = await latenessOf(db, sql<{ ms: number }>`
    select extract(epoch from (e.at - t.due_at)) * 1000 as ms from timers t
    join complaint_events e on e.complaint_id = t.complaint_id and e.data ->> 'timerId' = t.id
    where t.id like '%.response_warning.3'`)
  const { rows: [once] } = await sql<{ complaints: number; repeated: number; unassigned: number }>`
    select count(*)::int as complaints,
      count(*) filter (where missed <> 1 or assigned <> 1 or warned <> 1)::int as repeated,
      count(*) filter (where c.escalation ->> 'assigneeId' is null)::int as unassigned
    from complaints c cross join lateral (
      select count(*) filter (where type = 'deadline.response_missed') as missed,
        count(*) filter (where type = 'escalation.assigned') as assigned,
        count(*) filter (where type = 'deadline.warning') as warned
      from complaint_events e where e.complaint_id = c.id) k
    where c.id = any(${promised}::uuid[])`.execute(db)
  const { rows: load } = await sql<{ level: number; n: number }>`
    select u.level, count(*)::int as n from complaints c join users u on u.id::text = c.escalation ->> 'assigneeId'
    where c.id = any(${promised}::uuid[]) group by u.id, u.level order by u.level, n`.execute(db)

  // 3. Redis bytes per pending deadline days away: written as the API writes them (beyond the horizon, not queued),
  // then one loader round.
  const farBytes: Record<string, number> = {}
  const memoryNoFar = await usedMemory(redis)
  let seeded = 0
  for (const size of FAR) {
    log(`seeding pending deadlines days away up to ${size}`)
    // 100,000 rows a statement: one statement for 900,000 can outlast the statement timeout.
    for (; seeded < size; seeded = Math.min(size, seeded + 100_000)) {
      await sql`insert into timers (id, complaint_id, kind, armed_state, armed_seq, due_at, queued)
        select c.id || '.follow_up.' || (1000 + g), c.id, 'follow_up', 'follow_up', 1000 + g, now() + interval '3 days', false
        from generate_series(${seeded}::int, ${Math.min(size, seeded + 100_000) - 1}::int) g
        join lateral (select (${ids}::uuid[])[1 + g % ${ids.length}::int] as id) c on true`.execute(db)
    }
    await loadDueSoon(db, scheduler, { horizonMs: 5 * 60_000 })
    farBytes[String(size)] = Math.round(((await usedMemory(redis)) - memoryNoFar) / size * 100) / 100
  }

  // 4. Re-arm: REARM queued timers due within the horizon (in two minutes), Redis emptied, one reconcile.
  log(`seeding ${REARM} queued timers due within the horizon`)
  await sql`insert into timers (id, complaint_id, kind, armed_state, armed_seq, due_at, queued)
    select c.id || '.follow_up_retry.' || (1000 + g), c.id, 'follow_up_retry', 'follow_up', 1000 + g, now() + interval '2 minutes', true
    from generate_series(0, ${REARM - 1}::int) g
    join lateral (select (${ids}::uuid[])[1 + g % ${ids.length}::int] as id) c on true`.execute(db)
  await redis.flushdb()
  const memoryEmpty = await usedMemory(redis)
  const rearmStart = Date.now()
  const report = await reconcile(db, scheduler, {
    horizonMs: 5 * 60_000,
    onProgress: (p) => { if (p.pending % 20_000 === 0) log(`re-armed ${p.rearmed} of ${p.pending} checked`) },
  })
  const rearmMs = Date.now() - rearmStart
  const bytesQueued = (await usedMemory(redis) - memoryEmpty) / report.rearmed

  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    withoutRouting: { deadlines: DUE, latenessMs: summary(warnings), enqueueMs, redisBytesPerQueuedTimer: Math.round(bytesPerTimer) },
    withRouting: {
      promises: routed, perSecond: ROUTED_RATE, seconds: ROUTED_SECONDS, horizon: HORIZON,
      warningLatenessMs: summary(routedWarnings), deadlineLatenessMs: summary(deadlines), routedLatenessMs: summary(routings),
      deadlineP99ByFiveSeconds: steps.map((r) => r.p99),
      exactlyOnce: once, supervisorsLoad: load, cpuWhileDue: cpu, cpuPerPromise, batchTrace, walWhileDue: wal,
    },
    redisBytesPerPendingDeadlineDaysAway: farBytes,
    rearm: { checked: report.pending, timers: report.rearmed, ms: rearmMs, redisBytesPerQueuedTimer: Math.round(bytesQueued) },
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  await scheduler.close()
  redis.disconnect()
  await db.destroy()
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  workerProcess?.kill('SIGKILL')
  process.exit(1)
})

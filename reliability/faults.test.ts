// Fault injection against the real processes: `api` and `worker` children (node --import tsx src/cli.ts), a
// Postgres cluster and a redis-server of this test's own (never the shared ones on 5432 and 6379). One Hotline
// (database, queue prefix, api, worker) serves the four scenarios in turn, each with bounded load from this process
// and one fault; after each, the invariants (helpers/invariants.ts) are checked over everything written so far.
import t, { type Test } from 'tap'
import { OwnPostgres, OwnRedis, until } from './helpers/cluster.js'
import { checkAcknowledged, checkDeadlines, checkHistories } from './helpers/invariants.js'
import { Load, type LoadOptions, type Sent } from './helpers/load.js'
import { shortPolicy, Stack } from './helpers/stack.js'

const RECONCILE_EVERY_MS = 2_000
/** Time for the job itself once it is due and armed, on a shared 2-core machine. */
const RUN_ALLOWANCE_MS = 2_000

/** The figures of each scenario, printed at the end for docs/reliability.md. */
const figures: Record<string, unknown> = {}

const cluster = await OwnPostgres.create()
const redis = await OwnRedis.create()
const started: { stack?: Stack } = {}
t.teardown(async () => {
  t.comment(`figures: ${JSON.stringify(figures)}`)
  await started.stack?.close()
  await redis.destroy()
  await cluster.destroy()
})
const stack = await Stack.create(cluster, redis, 'faults', { env: { RECONCILE_EVERY: `PT${RECONCILE_EVERY_MS / 1000}S` } })
started.stack = stack

/** The api and worker must be running at the start of each scenario, whatever the last one did to them. */
async function revive(t: Test): Promise<void> {
  if (!stack.api.alive) {
    t.comment('restarting the api that an earlier scenario left dead')
    await stack.startApi()
  }
  if (!stack.worker.alive) {
    t.comment('restarting the worker that an earlier scenario left dead')
    await stack.startWorker()
  }
}

/** How late each timer due in [from, to] fired after `ready` (or its due time, whichever is later), in ms. */
async function lateness(from: number, to: number, ready: number): Promise<{ timers: number; maxMs: number; worst: string | undefined }> {
  const rows = await stack.query<{ id: string; due: number; fired: number | null }>(
    `select id, extract(epoch from due_at) * 1000 as due, extract(epoch from fired_at) * 1000 as fired
       from timers where due_at between to_timestamp($1 / 1000.0) and to_timestamp($2 / 1000.0)
        and (fired_at is not null or cancelled_at is null)`, [from, to])
  let maxMs = 0
  let worst: string | undefined
  for (const r of rows) {
    const fired = r.fired === null ? Date.now() : Number(r.fired)
    const late = fired - Math.max(Number(r.due), ready)
    if (late > maxMs) {
      maxMs = late
      worst = r.id
    }
  }
  return { timers: rows.length, maxMs: Math.round(maxMs), worst }
}

function tally(sent: Sent[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of sent) {
    const key = s.status === 0 ? `none(${s.error ?? 'no answer'})` : `${s.status}${s.code ? ` ${s.code}` : ''}`
    out[key] = (out[key] ?? 0) + 1
  }
  return out
}

/** Revives the processes, sets deadlines 6 s out, starts the load and waits for 30 acknowledged creates. */
async function underLoad(t: Test, options: LoadOptions): Promise<Load> {
  await revive(t)
  await stack.putPolicy(shortPolicy('PT6S'))
  const load = new Load(stack, options).start()
  await until(() => load.ackedCreates >= 30, 30_000, '30 acknowledged creates')
  return load
}

/**
 * Probes /readyz every 500 ms until `end`: the fault lasts until then (its duration is what is injected, not a
 * wait for a condition). Answers the statuses seen.
 */
async function probeReadyz(end: number): Promise<number[]> {
  const statuses: number[] = []
  while (Date.now() < end) {
    statuses.push((await stack.call('GET', '/readyz', { timeoutMs: 3_000 })).status)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  return statuses
}

async function invariants(t: Test, load: Load, waitMs: number) {
  await checkAcknowledged(t, stack, load.acked)
  const timersFired = await checkDeadlines(t, stack, waitMs)
  return { timersFired, ...(await checkHistories(t, stack)) }
}

t.test('SIGKILL of the api under load: nothing acknowledged is lost, a retried create is answered once', async (t) => {
  await revive(t)
  await stack.putPolicy(shortPolicy('PT6S'))
  const before = (await stack.query<{ n: number }>('select count(*)::int as n from complaints'))[0]!.n
  const load = new Load(stack, { concurrency: 6, rate: 15, maxRequests: 2_000, maxMs: 120_000 }).start()
  await until(() => load.ackedCreates >= 60, 30_000, '60 acknowledged creates')
  const killedAt = Date.now()
  await stack.api.kill('SIGKILL')
  await stack.startApi()
  const upAt = Date.now()
  await until(() => load.ackedSince(upAt) >= 20, 30_000, 'the restarted api to answer the load')
  await load.stop()

  // Every create that got no answer is sent again with its key: it is answered 2xx, once, whatever the kill did.
  const retries = await load.retryUnanswered()
  t.same(retries.filter((a) => a.status < 200 || a.status >= 300).map((a) => `${a.status} ${a.error ?? a.text.slice(0, 120)}`).slice(0, 10), [],
    `each of the ${retries.length} creates left unanswered by the kill, retried with its Idempotency-Key, is answered 2xx`)
  const ids = new Set(load.creates.filter((c) => c.id !== undefined).map((c) => c.id))
  const after = (await stack.query<{ n: number }>('select count(*)::int as n from complaints'))[0]!.n
  t.equal(after - before, ids.size, 'one complaint per Idempotency-Key: no create committed twice')

  const checked = await invariants(t, load, 20_000)
  figures.apiKill = { load: load.summary(), apiDownMs: upAt - killedAt, unansweredRetried: retries.length, acked: load.acked.size, ...checked }
})

t.test('SIGKILL of the worker while deadlines fall due: each fires once, none more than 5 s late', async (t) => {
  await revive(t)
  await stack.putPolicy(shortPolicy('PT1H'))
  // 40 complaints promised for the same instant: 40 response deadlines fall due together (and 40 warnings before).
  const promisedAt = Date.now() + 20_000
  const load = new Load(stack, { concurrency: 8, rate: 40, maxRequests: 0, maxMs: 0 })
  await load.createMany(40, 8, { promisedBy: new Date(promisedAt).toISOString() })
  t.equal(load.ackedCreates, 40, '40 complaints promised for the same instant')
  const dueFired = async () => (await stack.query<{ n: number }>(
    `select count(*)::int as n from timers where kind = 'response' and fired_at is not null and due_at = to_timestamp($1 / 1000.0)`,
    [promisedAt]))[0]!.n
  // Killed as soon as the batch has begun to fire, so that it dies holding some of the deadlines.
  await until(async () => (await dueFired()) >= 1, 60_000, 'the first of the 40 deadlines to fire', 20)
  const killedAt = Date.now()
  await stack.worker.kill('SIGKILL')
  const firedAtKill = await dueFired()
  await stack.startWorker()
  const restartedAt = Date.now()
  // Long enough to see a deadline held by the dead worker's job lock (30 s by default), so its lateness is measured.
  const checked = await invariants(t, load, 60_000)
  const late = await lateness(promisedAt - 20_000, promisedAt, restartedAt)
  t.ok(late.maxMs <= 5_000,
    `every deadline fires within 5 s of its due time or of the restarted worker, whichever is later (worst ${late.maxMs} ms: ${late.worst}; ${late.timers} due, ${firedAtKill} of the 40 fired at the kill)`)
  figures.workerKill = {
    deadlinesDueTogether: 40, firedAtKill, workerDownMs: restartedAt - killedAt, timersDueInWindow: late.timers,
    worstLatenessMs: late.maxMs, ...checked,
  }
})

t.test('Postgres stopped for 10 s under load: 503s within 2 s, processes survive, no 5xx committed, deadlines fire once', async (t) => {
  const load = await underLoad(t, { concurrency: 6, rate: 20, maxRequests: 800, maxMs: 60_000 })
  const stopAt = Date.now()
  await cluster.stop('fast')
  const downAt = Date.now()
  const readyz = await probeReadyz(stopAt + 10_000)
  const restartAt = Date.now()
  await cluster.start()
  const backAt = Date.now()
  const outage = load.sentBetween(downAt, restartAt)
  const apiSurvived = stack.api.alive
  const workerSurvived = stack.worker.alive
  t.ok(apiSurvived, `the api process survives the outage${apiSurvived ? '' : `: ${stack.api.errors.join(' | ')}`}`)
  t.ok(workerSurvived, `the worker process survives the outage${workerSurvived ? '' : `: ${stack.worker.errors.join(' | ')}`}`)
  t.ok(readyz.length > 0 && readyz.every((s) => s === 503), `/readyz answers 503 while Postgres is down (${readyz.join(',')})`)
  const bad = outage.filter((s) => !(s.status === 503 && s.code === 'service_unavailable' && s.retryAfter === '5' && s.ms <= 2_000))
  t.same(tally(bad), {}, `each of the ${outage.length} requests sent during the outage answers 503 service_unavailable with Retry-After: 5 within 2 s`)

  if (!apiSurvived) await stack.startApi()
  if (!workerSurvived) await stack.startWorker()
  const served = await until(() => load.ackedSince(backAt) > 0, 30_000, 'a write to succeed after Postgres is back').catch(() => false)
  t.ok(served, 'writes succeed again once Postgres is back')
  await load.stop()

  // A 5xx must mean that nothing committed: the same create retried with its key is created now, not replayed.
  const failed = load.creates.filter((c) => c.status >= 500)
  const replayed: string[] = []
  for (const c of failed) {
    const answer = await load.create(c)
    if (answer.status === 200 && answer.headers.get('idempotent-replayed') === 'true') replayed.push(`${c.key} (first ${c.status})`)
  }
  t.same(replayed, [], `none of the ${failed.length} creates answered 5xx had committed (its retry is not a replay)`)
  await load.retryUnanswered()

  const checked = await invariants(t, load, 30_000)
  const late = await lateness(downAt, restartAt, backAt)
  t.ok(late.maxMs <= RECONCILE_EVERY_MS + RUN_ALLOWANCE_MS,
    `deadlines due during the outage fire within RECONCILE_EVERY (+${RUN_ALLOWANCE_MS} ms to run) of its end (worst ${late.maxMs} ms: ${late.worst}; ${late.timers} due)`)
  figures.postgresStop = {
    load: load.summary(), outageMs: backAt - stopAt, duringOutage: tally(outage), readyz: tally(readyz.map((status) => ({ status } as Sent))),
    apiSurvived, workerSurvived, fivexxRetried: failed.length, fivexxCommitted: replayed.length,
    timersDueInOutage: late.timers, worstLatenessMs: late.maxMs, ...checked,
  }
})

t.test('Redis restarted empty under load: actions still 2xx, every deadline re-armed and fired once', async (t) => {
  const load = await underLoad(t, { concurrency: 6, rate: 20, maxRequests: 500, maxMs: 25_000 })
  const killAt = Date.now()
  await redis.kill()
  // Down for 3 s, then back empty on the same port.
  const readyz = await probeReadyz(killAt + 3_000)
  const restartAt = Date.now()
  await redis.start()
  const backAt = Date.now()
  await load.done
  const down = load.sentBetween(killAt, restartAt)
  t.ok(readyz.length > 0 && readyz.every((s) => s === 503), `/readyz answers 503 while Redis is down (${readyz.join(',')})`)
  const refused = down.filter((s) => !(s.status >= 200 && s.status < 300) && !(s.status === 409 || s.status === 412))
  t.same(tally(refused), {}, `the ${down.length} complaint requests sent while Redis is down answer 2xx (or a 409/412 of their own)`)
  t.ok(stack.api.alive && stack.worker.alive, 'the api and the worker survive')
  await load.retryUnanswered()

  const checked = await invariants(t, load, 30_000)
  // The issue sets no bound on lateness after a Redis restart (only after a Postgres outage): measured, not asserted.
  const late = await lateness(killAt - 10_000, Date.now() - 2_000, backAt)
  t.comment(`deadlines re-armed after Redis' return: worst ${late.maxMs} ms after it (or their due time), ${late.timers} due`)
  figures.redisRestart = {
    load: load.summary(), redisDownMs: backAt - killAt, whileDown: tally(down), readyz: tally(readyz.map((status) => ({ status } as Sent))),
    timersDue: late.timers, worstLatenessMs: late.maxMs, ...checked,
  }
})


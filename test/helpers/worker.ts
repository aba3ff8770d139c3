import { sql } from 'kysely'
import pino from 'pino'
import type { Test } from 'tap'
import { commitPipeline } from '../../src/commit-pipeline.js'
import { startTimerWorkers } from '../../src/timers/timer.worker.js'
import { REDIS_URL, type TestApp } from './app.js'
import type { TimerKind } from '../../workflows/complaint.contract.js'
import { queueOf } from '../../src/timers/jobs.js'

/** Runs the timer workers in this process against the test file's own queues. */
export function startTestWorker(t: Test, testApp: TestApp, options: { lockDuration?: number } = {}) {
  const pipeline = commitPipeline(testApp.redis, testApp.prefix)
  const { scheduler } = pipeline
  const workers = startTimerWorkers({
    db: testApp.db,
    redisUrl: REDIS_URL,
    prefix: testApp.prefix,
    concurrency: 8,
    lockDuration: options.lockDuration ?? 5_000,
    logger: pino({ level: 'silent' }),
    afterCommit: pipeline.afterCommit,
  })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await workers.close()
    await pipeline.close()
  }
  t.teardown(close)
  /**
   * Moves the clock for one complaint's pending timer of `kind`: it falls due now and its job is re-armed, so a
   * test can check what holds before a deadline (with a deadline hours away) without racing a short one.
   */
  const dueNow = async (complaintId: string, kind: TimerKind) => {
    const rows = await testApp.db
      .updateTable('timers')
      .set({ dueAt: new Date(), queued: true })
      .where('complaintId', '=', complaintId)
      .where('kind', '=', kind)
      .where('firedAt', 'is', null)
      .where('cancelledAt', 'is', null)
      .returning(['id', 'kind', 'dueAt'])
      .execute()
    if (rows.length === 0) throw new Error(`no pending ${kind} timer for complaint ${complaintId}`)
    // The follow-up lists read the complaint's own copy of the due time: it moves with the timer.
    if (kind === 'follow_up' || kind === 'follow_up_retry') {
      await sql`update complaints set follow_up = jsonb_set(follow_up, '{dueAt}', to_jsonb(${rows[0]!.dueAt.toISOString()}::text))
        where id = ${complaintId}`.execute(testApp.db)
    }
    for (const row of rows) await scheduler.queues[queueOf(row.kind)].remove(row.id)
    await scheduler.schedule(rows)
  }
  /** Runs the job of a complaint's timer of `kind` now, whatever its row says (a cancelled timer's job included). */
  const runJobNow = async (complaintId: string, kind: TimerKind) => {
    const rows = await testApp.db.selectFrom('timers').select(['id', 'kind', 'dueAt']).where('complaintId', '=', complaintId).where('kind', '=', kind).execute()
    for (const row of rows) await scheduler.queues[queueOf(row.kind)].remove(row.id)
    await scheduler.schedule(rows.map((row) => ({ ...row, dueAt: new Date() })))
  }
  /**
   * Waits until the BullMQ job of every settled (cancelled or fired) timer of a complaint has been handled (jobs are
   * removed on completion): then none of them can still act, and a test can assert that one did not.
   */
  const jobsHandled = async (complaintId: string) => {
    const timers = await testApp.db
      .selectFrom('timers')
      .select(['id', 'kind'])
      .where('complaintId', '=', complaintId)
      .where((eb) => eb.or([eb('cancelledAt', 'is not', null), eb('firedAt', 'is not', null)]))
      .execute()
    await waitFor(async () => {
      const jobs = await Promise.all(timers.map((timer) => scheduler.queues[queueOf(timer.kind)].getJob(timer.id)))
      return jobs.every((job) => job === undefined)
    }, 15_000, `the timer jobs of complaint ${complaintId} to be handled`)
  }
  return { scheduler, close, dueNow, runJobNow, jobsHandled }
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, label = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A policy whose deadlines pass in seconds, so tests can watch them fire. */
export function fastPolicy(overrides: Record<string, unknown> = {}) {
  const day: [string, string][] = [['09:00', '18:00']]
  return {
    calendar: { timezone: 'UTC', week: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] }, holidays: [] },
    response: { urgent: 'PT2S', high: 'PT2S', normal: 'PT2S', low: 'PT2S' },
    businessHours: { urgent: false, high: false, normal: false, low: false },
    warnAt: 0.5,
    triage: 'PT1S',
    escalationAck: 'PT2S',
    escalationResponse: 'PT2S',
    followUpAfter: 'PT1S',
    followUpAttempts: 3,
    followUpRetry: 'PT1S',
    maxLevel: 3,
    ...overrides,
  }
}

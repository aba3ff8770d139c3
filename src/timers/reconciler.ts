import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { DEFAULT_TIMER_HORIZON_MS } from './horizon.js'
import { enqueueInGroups } from './job-groups.js'
import { jobIdOf, queueOf } from './jobs.js'
import type { Scheduler } from './scheduler.js'
import { pending } from './timers.repository.js'

export interface ReconcileReport {
  pending: number
  rearmed: number
  ms: number
}

const BATCH = 2_000

/**
 * Compares the queued pending timers due within the horizon with the jobs Redis holds (a timer's own, or the group's
 * it shares: job-groups.ts) and re-arms what is missing, in groups:
 * after Redis restarts empty, or when a process died between commit and enqueue. Overdue timers are re-armed with no
 * delay, so they fire at once. Timers beyond the horizon are not its business: those still in Postgres are the
 * loader's, and a queued one whose job was lost is re-armed by a later round, once it is within the horizon (rounds
 * are far more frequent than the horizon is long). Walks the rows in due order, a batch at a time, so memory stays flat.
 */
export async function reconcile(
  db: Db,
  scheduler: Scheduler,
  options: { horizonMs?: number; now?: Date; batch?: number; onProgress?: (report: ReconcileReport) => void } = {},
): Promise<ReconcileReport> {
  const started = Date.now()
  const until = new Date((options.now ?? new Date()).getTime() + (options.horizonMs ?? DEFAULT_TIMER_HORIZON_MS))
  const report: ReconcileReport = { pending: 0, rearmed: 0, ms: 0 }
  const redis = scheduler.connection
  // The cursor keeps due_at as Postgres' text: a JS Date drops the microseconds and would never move past the row.
  let after: { cursor: string; id: string } | undefined
  for (;;) {
    let query = db
      .selectFrom('timers')
      .select(['id', 'kind', 'dueAt', 'jobId', sql<string>`due_at::text`.as('cursor')])
      // Written out, not a parameter, so that the generic plan can use timers_queued_due_idx (as the loader's).
      .where(sql<boolean>`timers.queued`)
      .where(pending)
      .where('dueAt', '<=', until)
    if (after) query = query.where(sql<boolean>`(due_at, id) > (${after.cursor}::timestamptz, ${after.id})`)
    const rows = await query.orderBy('dueAt').orderBy('id').limit(options.batch ?? BATCH).execute()
    if (rows.length === 0) break
    after = rows.at(-1)!
    // A group's job is looked up once however many of its timers the batch holds.
    const keys = [...new Set(rows.map((row) => scheduler.jobKey(queueOf(row.kind), jobIdOf(row))))]
    const pipeline = redis.pipeline()
    for (const key of keys) pipeline.exists(key)
    const replies = (await pipeline.exec()) ?? []
    const present = new Set(keys.filter((_, i) => replies[i]?.[1] === 1))
    const missing = rows.filter((row) => !present.has(scheduler.jobKey(queueOf(row.kind), jobIdOf(row))))
    // A lost group may span two batches: its timers are re-armed in fresh groups, never under the lost group's id
    // (the second batch would find that job again and skip the rest of its timers).
    await enqueueInGroups(db, scheduler, missing)
    report.pending += rows.length
    report.rearmed += missing.length
    options.onProgress?.({ ...report, ms: Date.now() - started })
  }
  report.ms = Date.now() - started
  return report
}

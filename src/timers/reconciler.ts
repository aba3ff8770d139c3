import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { DEFAULT_TIMER_HORIZON_MS } from './horizon.js'
import { queueOf } from './jobs.js'
import type { Scheduler } from './scheduler.js'
import { pending } from './timers.repository.js'

export interface ReconcileReport {
  pending: number
  rearmed: number
  ms: number
}

const BATCH = 2_000

/**
 * Compares the queued pending timers due within the horizon with the jobs Redis holds and re-arms what is missing:
 * after Redis restarts empty, or when a process died between commit and enqueue. Overdue timers are re-armed with no
 * delay, so they fire at once. Timers beyond the horizon are not its business: those still in Postgres are the
 * loader's, and a queued one whose job was lost is re-armed by a later round, once it is within the horizon (rounds
 * are far more frequent than the horizon is long). Walks the rows in due order, a batch at a time, so memory stays flat.
 */
export async function reconcile(
  db: Db,
  scheduler: Scheduler,
  options: { horizonMs?: number; now?: Date; onProgress?: (report: ReconcileReport) => void } = {},
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
      .select(['id', 'kind', 'dueAt', sql<string>`due_at::text`.as('cursor')])
      .where('queued', '=', true)
      .where(pending)
      .where('dueAt', '<=', until)
    if (after) query = query.where(sql<boolean>`(due_at, id) > (${after.cursor}::timestamptz, ${after.id})`)
    const rows = await query.orderBy('dueAt').orderBy('id').limit(BATCH).execute()
    if (rows.length === 0) break
    after = rows.at(-1)!
    const pipeline = redis.pipeline()
    for (const row of rows) pipeline.exists(scheduler.jobKey(queueOf(row.kind), row.id))
    const exists = (await pipeline.exec()) ?? []
    const missing = rows.filter((_, i) => exists[i]?.[1] !== 1)
    if (missing.length > 0) await scheduler.schedule(missing)
    report.pending += rows.length
    report.rearmed += missing.length
    options.onProgress?.({ ...report, ms: Date.now() - started })
  }
  report.ms = Date.now() - started
  return report
}

import type { Db } from '../db/database.js'
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
 * Compares pending timer rows with the jobs Redis holds and re-arms what is missing: after Redis restarts
 * empty, or when a process died between commit and enqueue. Overdue timers are re-armed with no delay, so
 * they fire at once. Walks the rows in id order, a batch at a time, so memory stays flat at any size.
 */
export async function reconcile(db: Db, scheduler: Scheduler, onProgress?: (report: ReconcileReport) => void): Promise<ReconcileReport> {
  const started = Date.now()
  const report: ReconcileReport = { pending: 0, rearmed: 0, ms: 0 }
  const redis = scheduler.connection
  let after = ''
  for (;;) {
    const rows = await db
      .selectFrom('timers')
      .select(['id', 'kind', 'dueAt'])
      .where(pending)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute()
    if (rows.length === 0) break
    after = rows.at(-1)!.id
    const pipeline = redis.pipeline()
    for (const row of rows) pipeline.exists(scheduler.jobKey(queueOf(row.kind), row.id))
    const exists = (await pipeline.exec()) ?? []
    const missing = rows.filter((_, i) => exists[i]?.[1] !== 1)
    if (missing.length > 0) await scheduler.schedule(missing)
    report.pending += rows.length
    report.rearmed += missing.length
    onProgress?.({ ...report, ms: Date.now() - started })
  }
  report.ms = Date.now() - started
  return report
}

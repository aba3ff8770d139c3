import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { enqueueInGroups } from './job-groups.js'
import type { Scheduler } from './scheduler.js'
import { pending } from './timers.repository.js'

export interface LoadReport {
  loaded: number
  ms: number
}

const BATCH = 5_000

/**
 * Moves the timers that have entered the horizon (due by `now + horizonMs`) from Postgres into BullMQ, soonest
 * first, a batch at a time; those due together share a job (job-groups.ts), recorded in their rows' `job_id`. The
 * jobs are added before the rows are marked queued (enqueueInGroups): a loader that dies in between leaves the rows
 * unmarked and the next round adds them again in fresh groups, whose firing finds them no longer pending if the first
 * job has fired meanwhile. Reads `timers_awaiting_queue_idx` only,
 * so a round costs what entered the horizon since the last one, however many promises are open.
 */
export async function loadDueSoon(
  db: Db,
  scheduler: Scheduler,
  options: { horizonMs: number; now?: Date; onProgress?: (report: LoadReport) => void },
): Promise<LoadReport> {
  const started = Date.now()
  const until = new Date((options.now ?? new Date()).getTime() + options.horizonMs)
  const report: LoadReport = { loaded: 0, ms: 0 }
  for (;;) {
    const rows = await db
      .selectFrom('timers')
      .select(['id', 'kind', 'dueAt'])
      // `not queued` written out, not a parameter: a prepared statement's generic plan cannot prove a parameter
      // false, so it could not use timers_awaiting_queue_idx and walked every pending timer's entry of another index.
      .where(sql<boolean>`not timers.queued`)
      .where(pending)
      .where('dueAt', '<=', until)
      .orderBy('dueAt')
      .limit(BATCH)
      .execute()
    if (rows.length === 0) break
    await enqueueInGroups(db, scheduler, rows)
    report.loaded += rows.length
    options.onProgress?.({ ...report, ms: Date.now() - started })
    if (rows.length < BATCH) break
  }
  report.ms = Date.now() - started
  return report
}

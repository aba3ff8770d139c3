import { sql } from 'kysely'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { refreshReportDays } from '../reports/summary.js'
import { startLockedLoop } from '../timers/locked-loop.js'

export interface HousekeepingReport {
  idempotencyKeysDeleted: number
  reportDaysRebuilt: number
}

const DELETE_BATCH = 5_000

/**
 * Forgets idempotency keys (REST `Idempotency-Key` and webhook `webhook-id`) older than `cutoff`, in short
 * transactions of a few thousand rows so intake never waits long on them. A key reused after this answers as new.
 */
export async function purgeIdempotencyKeys(db: Db, cutoff: Date, batch = DELETE_BATCH): Promise<number> {
  let deleted = 0
  for (;;) {
    const result = await sql`
      delete from idempotency_keys where ctid = any (array(
        select ctid from idempotency_keys where created_at < ${cutoff} order by created_at limit ${batch}
      ))`.execute(db)
    const n = Number(result.numAffectedRows ?? 0)
    deleted += n
    if (n < batch) return deleted
  }
}

/** One round: old idempotency keys go, and the report days noted dirty are rebuilt so reports stay on the fast path. */
export async function housekeep(db: Db, options: { idempotencyKeyRetentionMs: number; now?: Date }): Promise<HousekeepingReport> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.idempotencyKeyRetentionMs)
  const idempotencyKeysDeleted = await purgeIdempotencyKeys(db, cutoff)
  const reportDaysRebuilt = await refreshReportDays(db)
  return { idempotencyKeysDeleted, reportDaysRebuilt }
}

/** Housekeeps at worker start and every `everyMs`; with several workers, a Redis lock lets one of them do each round. */
export function startHousekeepingLoop(options: {
  db: Db
  redis: Redis
  prefix: string
  everyMs: number
  idempotencyKeyRetentionMs: number
  logger: Logger
}) {
  const { db, logger } = options
  return startLockedLoop({
    ...options,
    name: 'housekeeping round',
    lockKey: `${options.prefix}:housekeeping-lock`,
    round: async () => {
      const report = await housekeep(db, options)
      logger[report.idempotencyKeysDeleted + report.reportDaysRebuilt > 0 ? 'info' : 'debug'](report, 'housekept')
    },
  })
}

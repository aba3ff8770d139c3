import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { startLockedLoop } from '../timers/locked-loop.js'
import { refreshInBatches } from './summary.js'

/** Notes taken per transaction: a few thousand complaints' rows rebuilt with one plan per statement. */
const BATCH = 2_000

/**
 * Rebuilds the report rows of the complaints that transitions noted in report_facts_pending since the last refresh
 * (migration 0035), a batch per transaction; answers how many notes it took. Refreshes of all processes take turns
 * (an advisory lock), so one that returns has rebuilt every note committed before it began.
 */
export function refreshReportFacts(db: Db, batch = BATCH): Promise<number> {
  return refreshInBatches(db, 'report_facts_refresh_pending', batch)
}

/** Refreshes every `everyMs`, so that a report seldom has more than a round's notes to rebuild before it reads. */
export function startReportFactsLoop(options: { db: Db; redis: Redis; prefix: string; everyMs: number; logger: Logger }) {
  const { db, logger } = options
  return startLockedLoop({
    ...options,
    name: 'report refresh',
    lockKey: `${options.prefix}:report-refresh-lock`,
    round: async () => {
      const taken = await refreshReportFacts(db)
      if (taken > 0) logger.debug({ taken }, 'report rows rebuilt')
    },
  })
}

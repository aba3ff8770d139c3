import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { refreshInBatches } from '../db/refresh-in-batches.js'
import { refreshSearchRows } from '../search/search-refresh.js'
import { startLockedLoop } from '../timers/locked-loop.js'

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

/**
 * Every `everyMs`, rebuilds the rows that triggers only note: the report rows (migration 0035) and the search rows
 * (migration 0037), so that a report or a search seldom has more than a round's notes to build before it reads.
 */
export function startReportFactsLoop(options: { db: Db; redis: Redis; prefix: string; everyMs: number; logger: Logger }) {
  const { db, logger } = options
  return startLockedLoop({
    ...options,
    name: 'report and search refresh',
    lockKey: `${options.prefix}:report-refresh-lock`,
    round: async () => {
      const taken = await refreshReportFacts(db)
      const searched = await refreshSearchRows(db)
      if (taken + searched > 0) logger.debug({ taken, searched }, 'report and search rows rebuilt')
    },
  })
}

import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { refreshReportFacts } from '../reports/facts-refresh.js'
import { refreshSearchRows } from '../search/search-refresh.js'
import { startLockedLoop } from '../timers/locked-loop.js'

/**
 * Every `everyMs`, builds the rows that triggers only note: the report rows (migration 0035) and the search rows
 * (migration 0037), so that a report or a search seldom has more than a round's notes to build before it reads.
 */
export function startRefreshLoop(options: { db: Db; redis: Redis; prefix: string; everyMs: number; logger: Logger }) {
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

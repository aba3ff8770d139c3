import type { Db } from '../db/database.js'
import { refreshInBatches } from '../db/refresh-in-batches.js'

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

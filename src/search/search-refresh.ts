import type { Db } from '../db/database.js'
import { refreshInBatches } from '../db/refresh-in-batches.js'

/** Notes taken per transaction: a few thousand complaints' search rows built with one plan per statement. */
const BATCH = 2_000

/**
 * Builds the search rows of the complaints noted in complaint_search_pending since the last refresh (migration
 * 0037), a batch per transaction; answers how many notes it took. Refreshes of all processes take turns (an advisory
 * lock, taken only when there is a note), so one that returns has built every note committed before it began: a
 * search that calls it first finds every complaint committed before the search.
 */
export function refreshSearchRows(db: Db, batch = BATCH): Promise<number> {
  return refreshInBatches(db, 'complaint_search_refresh_pending', batch)
}

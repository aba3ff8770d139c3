import { sql } from 'kysely'
import type { Db } from './database.js'

/** The functions that rebuild rows derived from noted changes, a batch of notes per call (migrations 0035 and 0037). */
export type PendingRefresh = 'report_daily_refresh_dirty' | 'report_facts_refresh_pending' | 'complaint_search_refresh_pending'

/**
 * Calls `fn(batch)` until a call takes fewer than `batch` notes, each call its own transaction (each batch commits
 * and releases the function's lock before the next); answers how many notes were taken in all.
 */
export async function refreshInBatches(db: Db, fn: PendingRefresh, batch: number): Promise<number> {
  let taken = 0
  for (;;) {
    const { rows } = await sql<{ n: number }>`select ${sql.ref(fn)}(${batch}) as n`.execute(db)
    const n = rows[0]?.n ?? 0
    taken += n
    if (n < batch) return taken
  }
}

import { sql } from 'kysely'
import type { Db } from '../db/database.js'

/**
 * The next human reference of the day, e.g. C-20261122-000042. It runs in its own short statement,
 * outside the complaint's transaction, so concurrent intake never queues behind the counter row: a
 * rolled-back intake leaves a gap, never a duplicate.
 */
export async function nextReference(db: Db, now: Date): Promise<string> {
  const day = now.toISOString().slice(0, 10)
  const { rows } = await sql<{ last: number }>`
    insert into reference_counters (day, last) values (${day}, 1)
    on conflict (day) do update set last = reference_counters.last + 1
    returning last`.execute(db)
  const last = rows[0]!.last
  return `C-${day.replaceAll('-', '')}-${String(last).padStart(6, '0')}`
}

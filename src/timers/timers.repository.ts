import { sql, type ExpressionBuilder, type Insertable } from 'kysely'
import type { Database, TimersTable } from '../db/tables.js'
import type { Db, Trx } from '../db/database.js'
import type { JobKind } from './jobs.js'

/** A timer still to fire: neither fired nor cancelled. The one definition of "pending". */
export function pending(eb: ExpressionBuilder<Database, 'timers'>) {
  return eb.and([eb('timers.firedAt', 'is', null), eb('timers.cancelledAt', 'is', null)])
}

/** The same condition in raw SQL, for a table aliased `alias`. */
export const PENDING_SQL = (alias: string) => `${alias}.fired_at is null and ${alias}.cancelled_at is null`

/**
 * "Pending" for timers named by id, written so that no partial index of pending timers matches it: on a table never
 * analysed the planner believes those indexes tiny and walked or hashed every pending timer (70 ms a batch at 30,000)
 * instead of probing the primary key for the ids.
 */
export const PENDING_BY_ID_SQL = (alias: string) => `coalesce(${alias}.fired_at, ${alias}.cancelled_at) is null`

/** What a complaint's answer shows of its pending timers. */
export interface PendingTimer {
  id: string
  kind: JobKind
  dueAt: Date
}

export type TimerInsert = Insertable<TimersTable>

/**
 * The pending timers of each complaint, soonest first. One probe of timers_complaint_pending_due_idx per complaint
 * (a lateral join on the ids). `complaint_id in (...)`, or a lateral the planner may flatten into a join (`offset 0`
 * stops it), lets it read every pending timer from an index of all of them by due time (timers_pending_idx, gone
 * since migration 0011) and filter or hash them instead, which it takes for cheap on a table never analysed (it
 * estimates `is null` at 0.5%, so all pending timers at 48 rows): 350 ms for a list page at 300,000 pending timers
 * instead of 0.3 ms.
 */
export async function pendingTimers(db: Db | Trx, complaintIds: string[]): Promise<Map<string, PendingTimer[]>> {
  const byComplaint = new Map<string, PendingTimer[]>()
  if (complaintIds.length === 0) return byComplaint
  const { rows } = await sql<PendingTimer & { complaintId: string }>`
    select t.id, t.complaint_id, t.kind, t.due_at
    from unnest(${complaintIds}::uuid[]) as c(id)
    cross join lateral (
      select id, complaint_id, kind, due_at from timers
      where complaint_id = c.id and ${sql.raw(PENDING_SQL('timers'))}
      offset 0
    ) t
    order by t.due_at`.execute(db)
  for (const row of rows) {
    const list = byComplaint.get(row.complaintId) ?? []
    list.push({ id: row.id, kind: row.kind, dueAt: row.dueAt })
    byComplaint.set(row.complaintId, list)
  }
  return byComplaint
}

/** Due order, the order the API lists deadlines in. */
export function byDueAt(a: PendingTimer, b: PendingTimer): number {
  return a.dueAt.getTime() - b.dueAt.getTime()
}

import type { ExpressionBuilder, Insertable } from 'kysely'
import type { Database, TimersTable } from '../db/tables.js'
import type { Db, Trx } from '../db/database.js'

/** A timer still to fire: neither fired nor cancelled. The one definition of "pending". */
export function pending(eb: ExpressionBuilder<Database, 'timers'>) {
  return eb.and([eb('timers.firedAt', 'is', null), eb('timers.cancelledAt', 'is', null)])
}

/** The same condition in raw SQL, for a table aliased `alias`. */
export const PENDING_SQL = (alias: string) => `${alias}.fired_at is null and ${alias}.cancelled_at is null`

/** What a complaint's answer shows of its pending timers. */
export interface PendingTimer {
  id: string
  kind: string
  dueAt: Date
}

export type TimerInsert = Insertable<TimersTable>

/** The pending timers of some complaints, each list in due order. */
export async function pendingTimers(db: Db | Trx, complaintIds: string[]): Promise<Map<string, PendingTimer[]>> {
  const byComplaint = new Map<string, PendingTimer[]>()
  if (complaintIds.length === 0) return byComplaint
  const rows = await db
    .selectFrom('timers')
    .select(['id', 'complaintId', 'kind', 'dueAt'])
    .where('complaintId', 'in', complaintIds)
    .where(pending)
    .orderBy('complaintId')
    .orderBy('dueAt')
    .execute()
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

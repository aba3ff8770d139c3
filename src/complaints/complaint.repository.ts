import { sql } from 'kysely'
import type { Db, Trx } from '../db/database.js'
import type { ComplaintRow, ComplaintUpdate, CustomerRow, TimerRow } from '../db/tables.js'

export type Executor = Db | Trx

export interface ComplaintRecord {
  complaint: ComplaintRow
  customer: CustomerRow
  timers: Pick<TimerRow, 'kind' | 'dueAt'>[]
}

export async function lockComplaint(trx: Trx, id: string): Promise<ComplaintRow | undefined> {
  return trx.selectFrom('complaints').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function findComplaint(db: Executor, id: string): Promise<ComplaintRow | undefined> {
  return db.selectFrom('complaints').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function updateComplaint(trx: Trx, id: string, patch: ComplaintUpdate): Promise<ComplaintRow> {
  return trx.updateTable('complaints').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
}

/**
 * The pending timers of each complaint, soonest first. One probe of timers_complaint_pending_due_idx per complaint
 * (a lateral join on the ids). `complaint_id in (...)`, or a lateral the planner may flatten into a join (`offset 0`
 * stops it), lets it read every pending timer from timers_pending_idx and filter or hash them instead, which it takes
 * for cheap on a table never analysed (it estimates `is null` at 0.5%, so all pending timers at 48 rows): 350 ms for a
 * list page at 300,000 pending timers instead of 0.3 ms.
 */
export async function pendingTimers(db: Executor, complaintIds: string[]): Promise<Map<string, Pick<TimerRow, 'kind' | 'dueAt'>[]>> {
  const byComplaint = new Map<string, Pick<TimerRow, 'kind' | 'dueAt'>[]>()
  if (complaintIds.length === 0) return byComplaint
  const { rows } = await sql<Pick<TimerRow, 'complaintId' | 'kind' | 'dueAt'>>`
    select t.complaint_id, t.kind, t.due_at
    from unnest(${complaintIds}::uuid[]) as c(id)
    cross join lateral (
      select complaint_id, kind, due_at from timers
      where complaint_id = c.id and fired_at is null and cancelled_at is null
      offset 0
    ) t
    order by t.due_at`.execute(db)
  for (const row of rows) {
    const list = byComplaint.get(row.complaintId) ?? []
    list.push({ kind: row.kind, dueAt: row.dueAt })
    byComplaint.set(row.complaintId, list)
  }
  return byComplaint
}

export async function loadRecords(db: Executor, complaints: ComplaintRow[]): Promise<ComplaintRecord[]> {
  if (complaints.length === 0) return []
  const customerIds = [...new Set(complaints.map((c) => c.customerId))]
  const [customers, timers] = await Promise.all([
    db.selectFrom('customers').selectAll().where('id', 'in', customerIds).execute(),
    pendingTimers(db, complaints.map((c) => c.id)),
  ])
  const customerById = new Map(customers.map((c) => [c.id, c]))
  return complaints.map((complaint) => ({
    complaint,
    customer: customerById.get(complaint.customerId)!,
    timers: timers.get(complaint.id) ?? [],
  }))
}

export async function listEvents(db: Executor, complaintId: string) {
  return db
    .selectFrom('complaintEvents')
    .selectAll()
    .where('complaintId', '=', complaintId)
    .orderBy('seq')
    .execute()
}

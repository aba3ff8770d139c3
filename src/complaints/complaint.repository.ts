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

export async function pendingTimers(db: Executor, complaintIds: string[]): Promise<Map<string, Pick<TimerRow, 'kind' | 'dueAt'>[]>> {
  const byComplaint = new Map<string, Pick<TimerRow, 'kind' | 'dueAt'>[]>()
  if (complaintIds.length === 0) return byComplaint
  const rows = await db
    .selectFrom('timers')
    .select(['complaintId', 'kind', 'dueAt'])
    .where('complaintId', 'in', complaintIds)
    .where('firedAt', 'is', null)
    .where('cancelledAt', 'is', null)
    .orderBy('dueAt')
    .execute()
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

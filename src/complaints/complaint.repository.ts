import { sql, type CompiledQuery } from 'kysely'
import type { Db, Trx } from '../db/database.js'
import type { ComplaintRow, CustomerRow } from '../db/tables.js'
import { after, decodeCursor, pageFrom, type SortKey } from '../http/paging.js'
import type { JobKind } from '../timers/jobs.js'
import { PENDING_SQL, pendingTimers, type PendingTimer } from '../timers/timers.repository.js'
import type { LockedComplaint } from './transition.js'

export type Executor = Db | Trx

export interface ComplaintRecord {
  complaint: ComplaintRow
  customer: CustomerRow
  timers: PendingTimer[]
}

/** A complaint locked for a command, with what its answer needs: its customer and pending timers. */
export interface LockedRecord extends LockedComplaint {
  customer: CustomerRow
}

type RecordRow = ComplaintRow & {
  ownCustomer: Omit<CustomerRow, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string }
  pendingTimers: { id: string; kind: JobKind; dueAt: string }[]
}

/**
 * The statements that lock complaints, and that read them with their customer and pending timers, built once: one for
 * a single id (nearly always), one for many, whose ids travel as one array so that its text, and so its prepared
 * statement and plan, is the same for a timer batch of any size (an `in` list per size made each connection parse and
 * plan a statement per batch size as a flood began). Building them with Kysely on every request was the largest part
 * of a read's own CPU. The nested objects carry their keys as the API names them (the database handle keeps nested
 * keys as they are).
 */
const recordsStatements = new Map<string, CompiledQuery<RecordRow>>()

function recordsStatement(db: Executor, lock: boolean, many: boolean): CompiledQuery<RecordRow> {
  const key = `${lock}:${many}`
  let compiled = recordsStatements.get(key)
  if (!compiled) {
    const byId = many ? sql<boolean>`id = any(${[]}::uuid[])` : sql<boolean>`id = ${''}`
    compiled = (lock
      ? db.selectFrom('complaints').select('id').where(byId).orderBy('id').forUpdate().compile()
      : db
        .selectFrom('complaints')
        .selectAll('complaints')
        .select([
          sql<RecordRow['ownCustomer']>`(select jsonb_build_object('id', cu.id, 'name', cu.name, 'phone', cu.phone, 'email', cu.email,
            'externalId', cu.external_id, 'tier', cu.tier, 'language', cu.language, 'notify', cu.notify,
            'createdAt', cu.created_at, 'updatedAt', cu.updated_at)
            from customers cu where cu.id = complaints.customer_id)`.as('ownCustomer'),
          sql<RecordRow['pendingTimers']>`(select coalesce(jsonb_agg(jsonb_build_object('id', t.id, 'kind', t.kind, 'dueAt', t.due_at)
            order by t.due_at), '[]'::jsonb) from timers t where t.complaint_id = complaints.id and ${sql.raw(PENDING_SQL('t'))})`.as('pendingTimers'),
        ])
        .where(byId)
        .orderBy('id')
        .compile()) as CompiledQuery<RecordRow>
    recordsStatements.set(key, compiled)
  }
  return compiled
}

/** The statement for these ids, with its parameters. */
function recordsQuery(db: Executor, lock: boolean, ids: string[]): CompiledQuery<RecordRow> {
  const many = ids.length > 1
  return { ...recordsStatement(db, lock, many), parameters: many ? [ids] : ids }
}

/**
 * The complaint's own columns of a record: a copy key by key, as object rest over thirty keys takes V8's slow path
 * (about 15 µs a row; a timer batch reads a hundred rows).
 */
function complaintOf(record: RecordRow): ComplaintRow {
  const row: Record<string, unknown> = {}
  for (const key in record) if (key !== 'ownCustomer' && key !== 'pendingTimers') row[key] = record[key as keyof RecordRow]
  return row as unknown as ComplaintRow
}

/** Complaints with, read in the same statement, each one's customer and pending timers: what an answer shows. */
async function selectRecords(db: Executor, ids: string[]): Promise<LockedRecord[]> {
  if (ids.length === 0) return []
  const { rows } = await db.executeQuery<RecordRow>(recordsQuery(db, false, ids))
  return rows.map((record) => {
    const { ownCustomer, pendingTimers } = record
    return {
      row: complaintOf(record),
      customer: { ...ownCustomer, createdAt: new Date(ownCustomer.createdAt), updatedAt: new Date(ownCustomer.updatedAt) },
      pending: pendingTimers.map((t) => ({ id: t.id, kind: t.kind, dueAt: new Date(t.dueAt) })),
    }
  })
}

/**
 * Locks complaints in id order (as every writer locks them, so two never wait for each other), then reads them with
 * their customer and pending timers. Two statements, on purpose: a statement that waits for a row lock sees the
 * row as the other transaction left it, but its subqueries keep the snapshot taken before the wait, so timers that
 * transaction armed or cancelled would be missing from one combined read. Read after the lock, they are current,
 * and stay so: every writer of a complaint's timers holds its lock.
 */
export async function lockComplaints(trx: Trx, ids: string[]): Promise<LockedRecord[]> {
  if (ids.length === 0) return []
  await trx.executeQuery(recordsQuery(trx, true, ids))
  return selectRecords(trx, ids)
}

/** One complaint as the API shows it, in one statement. */
export async function findRecord(db: Executor, id: string): Promise<ComplaintRecord | undefined> {
  const [found] = await selectRecords(db, [id])
  return found && { complaint: found.row, customer: found.customer, timers: found.pending }
}

export async function lockComplaint(trx: Trx, id: string): Promise<LockedRecord | undefined> {
  return (await lockComplaints(trx, [id]))[0]
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

const EVENT_KEYS: SortKey[] = [{ expr: sql`complaint_events.seq`, dir: 'asc', kind: 'int' }]

/** A complaint's history, oldest first, keyset-paginated on seq. */
export async function listEvents(db: Executor, complaintId: string, query: { limit?: number; cursor?: string } = {}) {
  const limit = query.limit ?? 200
  let q = db.selectFrom('complaintEvents').selectAll().where('complaintId', '=', complaintId)
  if (query.cursor) q = q.where(after(EVENT_KEYS, decodeCursor(query.cursor, EVENT_KEYS)))
  const rows = await q.orderBy('seq').limit(limit + 1).execute()
  const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.seq])
  return { items: page, nextCursor }
}

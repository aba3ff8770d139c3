import { sql } from 'kysely'
import type { Db, Trx } from '../db/database.js'
import type { ComplaintState } from '../../workflows/complaint.machine.js'
import type { IncidentRow } from '../db/tables.js'
import { after, cursorTime, decodeCursor, orderOf, pageByCreation, type SortKey } from '../http/paging.js'
import type { LinkedComplaint } from './incident.view.js'
import { sampleOf } from './suggestions.js'
import { jsonb } from '../db/jsonb.js'

type Executor = Db | Trx

// The first key of the two-integer advisory lock space: "incident". Linking, unlinking and resolving one incident take
// turns on it, so the set of its complaints cannot change under a resolve, and two resolves never interleave.
const INCIDENT_LOCK_SPACE = 0x494e4349

/** The open states (CONTRACT.md): only these join an incident, and only these does its resolve resolve. */
export const OPEN_STATES: readonly ComplaintState[] = ['received', 'logged', 'escalated']

export interface NewIncident {
  title: string
  category: string | null
  product: string | null
  region: string | null
  description: string | null
  createdBy: string
}

/** I-YYYYMMDD-NNNN: the day of creation (UTC) and the last four digits of a sequence. */
export async function insertIncident(db: Db, incident: NewIncident, now: Date): Promise<IncidentRow> {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '')
  return db.insertInto('incidents').values({
    ...incident,
    samples: jsonb([sampleOf(null, incident.title, incident.description)]),
    reference: sql<string>`${`I-${day}-`} || lpad((nextval('incident_reference_seq') % 10000)::text, 4, '0')`,
    createdAt: now,
    activeAt: now,
    updatedAt: now,
  }).returningAll().executeTakeFirstOrThrow()
}

/** Waits for this incident's turn (see INCIDENT_LOCK_SPACE) until the transaction ends; the id need not exist. */
export async function takeIncidentTurn(trx: Trx, id: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${INCIDENT_LOCK_SPACE}, hashtext(${id}))`.execute(trx)
}

/**
 * The incident's row, locked. Taken after its complaints' locks, never before: the trigger that keeps its counts locks
 * it while a complaint's transition holds that complaint's lock (migration 0023).
 */
export async function lockIncidentRow(trx: Trx, id: string): Promise<IncidentRow | undefined> {
  return trx.selectFrom('incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function findIncident(db: Executor, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The incident with its complaints (oldest first), in one statement. */
export async function findIncidentDetail(db: Executor, id: string): Promise<{ row: IncidentRow; complaints: LinkedComplaint[] } | undefined> {
  const found = await db.selectFrom('incidents').selectAll()
    .select(sql<LinkedComplaint[]>`(select coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'reference', c.reference, 'state', c.state)
      order by c.created_at, c.id), '[]'::jsonb) from complaints c where c.incident_id = incidents.id)`.as('linked'))
    .where('id', '=', id).executeTakeFirst()
  if (!found) return undefined
  const { linked, ...row } = found
  return { row, complaints: linked }
}

/** The ids of the incident's open complaints. */
export async function openComplaintIds(trx: Trx, id: string): Promise<string[]> {
  const rows = await trx.selectFrom('complaints').select('id')
    .where('incidentId', '=', id).where('state', 'in', OPEN_STATES).execute()
  return rows.map((r) => r.id)
}

/** Newest first. */
const LIST_KEYS: SortKey[] = [
  { expr: sql`incidents.created_at`, dir: 'desc', kind: 'time' },
  { expr: sql`incidents.id`, dir: 'desc', kind: 'uuid' },
]

export async function listIncidents(db: Db, query: { state?: 'open' | 'resolved'; limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50
  let q = db.selectFrom('incidents').selectAll().select(cursorTime(sql`incidents.created_at`).as('cursorAt'))
  if (query.state) q = q.where('state', '=', query.state)
  if (query.cursor) q = q.where(after(LIST_KEYS, decodeCursor(query.cursor, LIST_KEYS)))
  const rows = await q.orderBy(orderOf(LIST_KEYS)).limit(limit + 1).execute()
  return pageByCreation(rows, limit)
}

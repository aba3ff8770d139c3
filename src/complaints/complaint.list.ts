import { sql, type RawBuilder } from 'kysely'
import type { Static } from 'typebox'
import type { AuthUser } from '../auth/auth.plugin.js'
import type { Db } from '../db/database.js'
import { normalisePhone } from '../customers/identity.js'
import { problems } from '../http/problem.js'
import { loadRecords, type ComplaintRecord } from './complaint.repository.js'
import type { ListQuery } from './complaint.schemas.js'
import { PENDING_SQL } from '../timers/timers.repository.js'
import { isUuid } from '../ids.js'
import { searchComplaints } from '../search/complaint-search.js'

interface Cursor {
  /** created_at in UTC with all six fractional digits Postgres keeps: a millisecond Date would skip rows. */
  t: string
  id: string
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify({ t: createdAt, id } satisfies Cursor)).toString('base64url')
}

/** A real calendar instant (no 31 February), in the form encodeCursor writes. */
function validCursorTime(t: unknown): t is string {
  if (typeof t !== 'string' || !CURSOR_TIME.test(t)) return false
  const millis = `${t.slice(0, 23)}Z`
  const date = new Date(millis)
  return !Number.isNaN(date.getTime()) && date.toISOString() === millis
}

function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor> | null
    if (parsed && validCursorTime(parsed.t) && typeof parsed.id === 'string' && isUuid(parsed.id)) {
      return { t: parsed.t, id: parsed.id }
    }
  } catch {
    // fall through to the validation error
  }
  throw problems.validation([{ field: 'querystring.cursor', message: 'is not a cursor this API gave out' }])
}

const OPEN_STATES = ['received', 'logged', 'escalated']

/** The list's filters but q, as conditions on `complaints` (the plain list and the search share them). */
function complaintFilters(
  db: Db,
  user: AuthUser,
  query: Static<typeof ListQuery>,
  defaultPhoneCountry?: string,
): RawBuilder<boolean>[] {
  const filters: RawBuilder<boolean>[] = []
  if (user.role === 'integration') filters.push(sql<boolean>`complaints.integration_id = ${user.id}`)
  if (query.state) filters.push(sql<boolean>`complaints.state = ${query.state}`)
  if (query.category) filters.push(sql<boolean>`complaints.category = ${query.category}`)
  if (query.severity) filters.push(sql<boolean>`complaints.severity = ${query.severity}`)
  if (query.team) filters.push(sql<boolean>`complaints.team = ${query.team}`)
  if (query.assigneeId) filters.push(sql<boolean>`complaints.assignee_id = ${query.assigneeId === 'me' ? user.id : query.assigneeId}`)
  if (query.customerPhone) {
    const phone = normalisePhone(query.customerPhone, defaultPhoneCountry)
    if (!phone) throw problems.validation([{ field: 'querystring.customerPhone', message: 'is not a valid phone number' }])
    filters.push(sql<boolean>`complaints.customer_id in (${db.selectFrom('customers').select('id').where('phone', '=', phone)})`)
  }
  if (query.overdue !== undefined) {
    // coalesce: a complaint without a promise (received, not logged yet) is not overdue, and so is "not overdue".
    // The open states are literals, not parameters, so that the planner can prove the partial index of open
    // complaints (complaints_open_created_idx) applies under a generic plan too. `offset 0` keeps the exists a
    // per-complaint probe of timers_complaint_pending_due_idx: without it the planner may turn it into a hash of every
    // overdue pending timer, read from an index by due time (timers_pending_idx before migration 0011), which it
    // believes tiny on a table never analysed (it estimates `is null` at 0.5%): 350 ms at 300,000 pending timers
    // instead of 0.03 ms a probe.
    const overdue = sql<boolean>`(complaints.state in (${sql.join(OPEN_STATES.map((state) => sql.lit(state)))}) and (coalesce(complaints.promised_by < now(), false)
      or exists (select 1 from timers t where t.complaint_id = complaints.id and ${sql.raw(PENDING_SQL('t'))}
        and t.due_at < now() and t.kind in ('triage', 'escalation_ack', 'escalation_response')
        offset 0)))`
    filters.push(query.overdue ? overdue : sql<boolean>`not ${overdue}`)
  }
  return filters
}

/**
 * Newest first, keyset-paginated on (createdAt, id) so pages stay stable while complaints arrive; with q, the
 * search's order instead, most relevant first (src/search/complaint-search.ts, docs/search.md).
 */
export async function listComplaints(
  db: Db,
  user: AuthUser,
  query: Static<typeof ListQuery>,
  defaultPhoneCountry?: string,
): Promise<{ items: ComplaintRecord[]; nextCursor: string | null }> {
  const limit = query.limit ?? 20
  const filters = complaintFilters(db, user, query, defaultPhoneCountry)
  if (query.q !== undefined) {
    const found = await searchComplaints(db, query.q, filters, { limit, cursor: query.cursor })
    return { items: await loadRecords(db, found.rows), nextCursor: found.nextCursor }
  }
  let q = db
    .selectFrom('complaints')
    .selectAll('complaints')
    .select(sql<string>`to_char(complaints.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursorAt'))
  for (const filter of filters) q = q.where(filter)
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor)
    q = q.where(sql<boolean>`(complaints.created_at, complaints.id) < (${cursor.t}::timestamptz, ${cursor.id}::uuid)`)
  }
  const rows = await q.orderBy('complaints.createdAt', 'desc').orderBy('complaints.id', 'desc').limit(limit + 1).execute()
  const page = rows.slice(0, limit).map(({ cursorAt: _cursorAt, ...row }) => row)
  const last = rows[limit - 1]
  return {
    items: await loadRecords(db, page),
    nextCursor: rows.length > limit && last ? encodeCursor(last.cursorAt, last.id) : null,
  }
}

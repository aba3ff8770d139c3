import { createHash } from 'node:crypto'
import { sql, type RawBuilder } from 'kysely'
import type { Static } from 'typebox'
import type { AuthUser } from '../auth/auth.plugin.js'
import type { Db } from '../db/database.js'
import type { ComplaintRow } from '../db/tables.js'
import { normalisePhone } from '../customers/identity.js'
import { cursorOrder, cursorTime, decodeOrderCursor, encodeOrderCursor, orderMismatch, pageFrom, parseCursor, type KeyValue } from '../http/paging.js'
import { problems } from '../http/problem.js'
import { loadRecords, type ComplaintRecord } from './complaint.repository.js'
import type { ListQuery } from './complaint.schemas.js'
import { DEFAULT_SORT, listOrder, type ListOrder } from './list-order.js'
import { PENDING_SQL } from '../timers/timers.repository.js'
import { searchComplaints, searchCondition } from '../search/complaint-search.js'
import { refreshSearchRows } from '../search/search-refresh.js'

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
  // The state as an initplan's value, `(select $1)`: still an index condition, but one the planner cannot see through at
  // planning time. Seen, `state = 'logged'` implies the predicate of complaints_open_created_idx, which on a table never
  // analysed the planner believes empty (it was built on an empty table: reltuples 0), so it ANDs that index's bitmap
  // with a (state, ...) index's and sorts every match: 0.2-0.9 s a page at 250,000 complaints, where reading the
  // (state, field, id) index of the order takes under 10 ms (EXPLAIN ANALYZE without statistics, issue 16).
  if (query.state) filters.push(sql<boolean>`complaints.state = (select ${query.state}::text)`)
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

function dateFilters(query: Static<typeof ListQuery>): RawBuilder<boolean>[] {
  const { createdFrom, createdTo, updatedSince } = query
  for (const [name, value] of Object.entries({ createdFrom, createdTo, updatedSince })) {
    // RFC 3339 has a year 0000; Postgres has none (1 BC) and would fail the query.
    if (value?.startsWith('0000')) throw problems.validation([{ field: `querystring.${name}`, message: 'must be in year 0001 or later' }])
  }
  if (createdFrom !== undefined && createdTo !== undefined && Date.parse(createdFrom) >= Date.parse(createdTo)) {
    throw problems.validation([{ field: 'querystring.createdTo', message: 'must be later than createdFrom' }])
  }
  const filters: RawBuilder<boolean>[] = []
  if (createdFrom !== undefined) filters.push(sql<boolean>`complaints.created_at >= ${createdFrom}::timestamptz`)
  if (createdTo !== undefined) filters.push(sql<boolean>`complaints.created_at < ${createdTo}::timestamptz`)
  if (updatedSince !== undefined) filters.push(sql<boolean>`complaints.updated_at >= ${updatedSince}::timestamptz`)
  return filters
}

type Row = ComplaintRow & { cursorAt: string | null }

/**
 * One part of a page in `order` after `after`: the complaints whose field has a value, or those whose field is null
 * (promisedBy), which come after all of them in both directions, by id. Each part is a range of one index on
 * (field, id) (after the filter's column, when there is one: migration 0032), read in the index's order, forwards or
 * backwards, so a page reads its rows and stops; one query with `nulls last` and an `or` for the nulls would read
 * every complaint before the cursor's.
 */
async function pagePart(db: Db, filters: RawBuilder<boolean>[], order: ListOrder, part: 'values' | 'nulls', after: KeyValue[] | null, need: number): Promise<Row[]> {
  const op = sql.raw(order.dir === 'asc' ? '>' : '<')
  let q = db.selectFrom('complaints').selectAll('complaints').select(cursorTime(order.column).as('cursorAt'))
  for (const filter of filters) q = q.where(filter)
  if (part === 'nulls') {
    q = q.where(sql<boolean>`${order.column} is null`)
    if (after) q = q.where(sql<boolean>`complaints.id ${op} ${after[1]}::uuid`)
  } else {
    if (order.nullable) q = q.where(sql<boolean>`${order.column} is not null`)
    if (after) q = q.where(sql<boolean>`(${order.column}, complaints.id) ${op} (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  }
  // The nulls are ordered by the field too (all null), so that this ORDER BY is the index's, forwards or backwards.
  return q.orderBy(sql`${order.column} ${sql.raw(order.dir)}, complaints.id ${sql.raw(order.dir)}`).limit(need).execute() as Promise<Row[]>
}

async function pageInOrder(db: Db, filters: RawBuilder<boolean>[], order: ListOrder, cursor: string | undefined, limit: number) {
  const after = cursor === undefined ? null : decodeOrderCursor(cursor, order.sort, order.keys)
  const rows = after === null || after[0] !== null ? await pagePart(db, filters, order, 'values', after, limit + 1) : []
  if (order.nullable && rows.length <= limit) {
    rows.push(...await pagePart(db, filters, order, 'nulls', after?.[0] === null ? after : null, limit + 1 - rows.length))
  }
  const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.cursorAt, row.id], (values) => encodeOrderCursor(order.sort, values))
  return { rows: page.map(({ cursorAt: _cursorAt, ...row }) => row), nextCursor }
}

const RELEVANCE = 'q without sort (most relevant first)'

/**
 * In the order `sort` asks (newest first without it), keyset-paginated on (field, id) so pages stay stable while
 * complaints arrive and change; with q and no sort, the search's order instead, most relevant first
 * (src/search/complaint-search.ts, docs/search.md). A cursor names the order it was made for.
 */
export async function listComplaints(
  db: Db,
  user: AuthUser,
  query: Static<typeof ListQuery>,
  defaultPhoneCountry?: string,
): Promise<{ items: ComplaintRecord[]; nextCursor: string | null }> {
  const limit = query.limit ?? 20
  const filters = [...complaintFilters(db, user, query, defaultPhoneCountry), ...dateFilters(query)]
  const parsed = query.cursor === undefined ? undefined : parseCursor(query.cursor)
  // The search rows of what committed before this request, built now if the worker has not yet (migration 0037).
  if (query.q !== undefined) await refreshSearchRows(db)
  if (query.q !== undefined && query.sort === undefined) {
    const made = cursorOrder(parsed)
    if (made !== undefined) throw orderMismatch(`sort=${made}`, RELEVANCE)
    const found = await searchComplaints(db, query.q, filters, { limit, cursor: query.cursor })
    return { items: await loadRecords(db, found.rows), nextCursor: found.nextCursor }
  }
  const sort = query.sort ?? DEFAULT_SORT
  // A search's cursor is its bare keys, [tier, createdAt, id].
  if (Array.isArray(parsed) && parsed.length === 3) throw orderMismatch(RELEVANCE, `sort=${sort}`)
  if (query.q !== undefined) {
    const matches = await searchCondition(db, query.q)
    if (!matches) return { items: [], nextCursor: null }
    filters.push(matches)
  }
  const { rows, nextCursor } = await pageInOrder(db, filters, listOrder(sort), query.cursor, limit)
  return { items: await loadRecords(db, rows), nextCursor }
}

/**
 * The list's ETag, weak (RFC 9110 8.8.1): a digest of what the page shows, each complaint's id and version (every change
 * bumps it) and its customer's updatedAt (the complaint embeds its customer), the next page's cursor, and the caller
 * (the actions a complaint offers depend on who asks). A 304 still runs the page's query; it spares the body.
 */
export function pageEtag(user: AuthUser, items: ComplaintRecord[], nextCursor: string | null): string {
  const hash = createHash('sha256').update(`${user.id}:${user.role}:${user.level ?? ''}`)
  for (const { complaint, customer } of items) hash.update(`\n${complaint.id}:${complaint.version}:${customer.updatedAt.toISOString()}`)
  return `W/"${hash.update(`\n${nextCursor ?? ''}`).digest('base64url').slice(0, 32)}"`
}

import { sql, type RawBuilder } from 'kysely'
import type { Executor } from '../complaints/complaint.repository.js'
import type { ComplaintRow } from '../db/tables.js'
import { cursorTime, decodeCursor, encodeCursor, type SortKey } from '../http/paging.js'
import { searchTerms, type SearchTerms } from './terms.js'

/**
 * Relevance tiers, best first: 1 every term is in the title (summary, customer name, reference), 2 the terms are in
 * the complaint but not all in its title (description, notes). Within a tier, newest first.
 */
export const TIERS = [1, 2] as const
type Tier = (typeof TIERS)[number]

/** The order of a search's answer, which its cursor records: tier, then created_at and id, newest first. */
const SEARCH_KEYS: SortKey[] = [
  { expr: sql`tier`, dir: 'asc', kind: 'int' },
  { expr: sql`s.created_at`, dir: 'desc', kind: 'time' },
  { expr: sql`s.complaint_id`, dir: 'desc', kind: 'uuid' },
]

/**
 * How many of the newest search rows (after the cursor) a tier reads in order before it asks the GIN index instead.
 * A term in more than ~1% of complaints fills a page of 50 within them; a rarer one has few matches in all, which
 * the index finds and a sort orders cheaply. bench/search.ts measures both sides (bench/RESULTS.md).
 */
export const WALK_ROWS = 5_000

interface Position {
  t: string
  id: string
}

type Found = ComplaintRow & { cursorAt: string }

const tierMatch = (tier: Tier, terms: SearchTerms): RawBuilder<boolean> => {
  const patterns = sql`${terms.patterns}::text[]`
  return tier === 1
    ? sql<boolean>`s.title like all (${patterns})`
    : sql<boolean>`(s.title || E'\n' || s.body) like all (${patterns}) and not (s.title like all (${patterns}))`
}

const afterPosition = (position: Position | null) =>
  position ? sql<boolean>`(s.created_at, s.complaint_id) < (${position.t}::timestamptz, ${position.id}::uuid)` : sql<boolean>`true`

/**
 * One tier's matches after `position`, newest first, at most `need`: first by reading the newest WALK_ROWS rows in
 * order (the LIKE patterns, not the index: a frequent term fills the page at once), then, when they hold too few, by
 * the GIN index over all of the tier's matches, which are then few (`offset 0` keeps the planner from walking the
 * created_at index instead: without statistics it cannot tell a rare term from a frequent one).
 */
async function tierPage(db: Executor, tier: Tier, terms: SearchTerms, filters: RawBuilder<boolean>[], position: Position | null, need: number): Promise<Found[]> {
  const where = sql.join([tierMatch(tier, terms), ...filters], sql` and `)
  const select = sql`complaints.*, ${cursorTime(sql`s.created_at`)} as "cursorAt"`
  // With other filters the walk reads the newest WALK_ROWS complaints that pass them (through the filter's own index,
  // as the plain list does), so that a filter that keeps few complaints does not starve the window.
  const walked = filters.length === 0
    ? await sql<Found>`
      select ${select}
      from (select complaint_id, created_at, title, body from complaint_search s where ${afterPosition(position)}
        order by created_at desc, complaint_id desc limit ${WALK_ROWS}) s
      join complaints on complaints.id = s.complaint_id
      where ${tierMatch(tier, terms)}
      order by s.created_at desc, s.complaint_id desc
      limit ${need}`.execute(db)
    : await sql<Found>`
      select ${select}
      from (select complaints.* from complaints where ${sql.join(filters, sql` and `)}
        and ${position ? sql`(complaints.created_at, complaints.id) < (${position.t}::timestamptz, ${position.id}::uuid)` : sql`true`}
        order by complaints.created_at desc, complaints.id desc limit ${WALK_ROWS}) complaints
      join complaint_search s on s.complaint_id = complaints.id
      where ${tierMatch(tier, terms)}
      order by complaints.created_at desc, complaints.id desc
      limit ${need}`.execute(db)
  const found = walked.rows
  if (found.length >= need) return found
  const last = found.at(-1)
  const from = last ? { t: last.cursorAt, id: last.id } : position
  const tokens = tier === 1 ? terms.titled : terms.plain
  const indexed = await sql<Found>`
    select ${select}
    from (select complaint_id, created_at, title, body from complaint_search where tokens @> ${tokens}::text[] offset 0) s
    join complaints on complaints.id = s.complaint_id
    where ${where} and ${afterPosition(from)}
    order by s.created_at desc, s.complaint_id desc
    limit ${need - found.length}`.execute(db)
  return [...found, ...indexed.rows]
}

/**
 * The complaints that match q and the filters (conditions on `complaints`), most relevant first: tier by tier, the
 * first tier from the cursor's on. The camel-cased complaint rows of one page and the next page's cursor.
 */
export async function searchComplaints(
  db: Executor,
  q: string,
  filters: RawBuilder<boolean>[],
  page: { limit: number; cursor?: string | undefined },
): Promise<{ rows: ComplaintRow[]; nextCursor: string | null }> {
  const cursor = page.cursor ? decodeCursor(page.cursor, SEARCH_KEYS) : null
  const terms = await searchTerms(db, q)
  if (terms.patterns.length === 0) return { rows: [], nextCursor: null }
  const fromTier = (cursor?.[0] ?? 1) as number
  const found: { tier: Tier; row: Found }[] = []
  for (const tier of TIERS) {
    if (tier < fromTier) continue
    const position = cursor && tier === fromTier ? { t: cursor[1] as string, id: cursor[2] as string } : null
    const rows = await tierPage(db, tier, terms, filters, position, page.limit + 1 - found.length)
    for (const row of rows) found.push({ tier, row })
    if (found.length > page.limit) break
  }
  const shown = found.slice(0, page.limit)
  const last = shown.at(-1)
  return {
    rows: shown.map(({ row: { cursorAt: _cursorAt, ...row } }) => row),
    nextCursor: found.length > page.limit && last ? encodeCursor([last.tier, last.row.cursorAt, last.row.id]) : null,
  }
}

/**
 * q as one condition on `complaints`, for a list in another order than relevance (`sort`): the complaints that hold
 * every term, in the title or not (both tiers). The matches come from the GIN index and are checked against the
 * patterns; `offset 0` keeps them one set the list's index walk probes, rather than a probe of the search row of every
 * complaint walked, which a rare term would make a walk of the whole table. null: q has no term, nothing matches.
 */
export async function searchCondition(db: Executor, q: string): Promise<RawBuilder<boolean> | null> {
  const terms = await searchTerms(db, q)
  if (terms.patterns.length === 0) return null
  return sql<boolean>`complaints.id in (select complaint_id from complaint_search s
    where s.tokens @> ${terms.plain}::text[] and (s.title || E'\n' || s.body) like all (${terms.patterns}::text[]) offset 0)`
}

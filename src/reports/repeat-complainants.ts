import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { after, cursorTime, decodeCursor, pageFrom, type SortKey } from '../http/paging.js'
import type { Cell } from './csv.js'
import type { RepeatReport } from './reports.schemas.js'

interface RepeatRow {
  customerId: string
  complaints: number
  lastComplaintAt: Date
  cursorAt: string
  total: number
  name: string | null
  phone: string | null
  email: string | null
  externalId: string | null
  tier: string | null
  categories: string[]
}

/**
 * Customers with `min` or more complaints received since `now - days` (every complaint counts, whatever its state),
 * the most complaints first, then the most recent. Counting reads indexes alone; only the customers returned are
 * looked up.
 */
const REPEAT_KEYS: SortKey[] = [
  { expr: sql`counted.complaints`, dir: 'desc', kind: 'int' },
  { expr: sql`counted.last_complaint_at`, dir: 'desc', kind: 'time' },
  { expr: sql`counted.customer_id`, dir: 'asc', kind: 'uuid' },
]

export async function repeatComplainants(
  db: Db,
  input: { min: number; days: number; limit: number; now: Date; cursor?: string },
): Promise<RepeatReport> {
  const since = new Date(input.now.getTime() - input.days * 86_400_000)
  // Keyset on (complaints, last complaint, customer): a page starts after the last customer of the previous one.
  const start = input.cursor ? after(REPEAT_KEYS, decodeCursor(input.cursor, REPEAT_KEYS)) : sql<boolean>`true`
  const { rows } = await db.transaction().execute(async (trx) => {
    // Grouping hundreds of thousands of customers by hashing costs more than reading them in order from
    // complaints_customer_recent_idx, which the planner underestimates; no JIT for one statement.
    await sql`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true), set_config('enable_hashagg', 'off', true)`.execute(trx)
    return sql<RepeatRow>`
    with recent as (
      select customer_id, count(*)::integer as complaints, max(created_at) as last_complaint_at
      from complaints
      where created_at >= ${since}
      group by customer_id
      having count(*) >= ${input.min}
    ), counted as (
      select recent.*, count(*) over () as total
      from recent
    ), ranked as (
      select counted.* from counted
      where ${start}
      order by complaints desc, last_complaint_at desc, customer_id
      limit ${input.limit + 1}
    )
    select r.customer_id, r.complaints, r.last_complaint_at, r.total,
      ${cursorTime(sql`r.last_complaint_at`)} as cursor_at,
      cu.name, cu.phone, cu.email, cu.external_id, cu.tier,
      array(select distinct c.category from complaints c
        where c.customer_id = r.customer_id and c.created_at >= ${since} order by 1) as categories
    from ranked r
    join customers cu on cu.id = r.customer_id
    order by r.complaints desc, r.last_complaint_at desc, r.customer_id`.execute(trx)
  })
  const { page, nextCursor } = pageFrom(rows, input.limit, (row) => [row.complaints, row.cursorAt, row.customerId])
  return {
    min: input.min,
    days: input.days,
    since: since.toISOString(),
    total: rows[0]?.total ?? 0,
    nextCursor,
    items: page.map((row) => ({
      customer: { id: row.customerId, name: row.name, phone: row.phone, email: row.email, externalId: row.externalId, tier: row.tier },
      complaints: row.complaints,
      categories: [...row.categories].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      lastComplaintAt: row.lastComplaintAt.toISOString(),
    })),
  }
}

export const CATEGORY_SEPARATOR = '; '

/** One row per customer; `categories` joined with "; ". */
export function repeatCsv(report: RepeatReport): { header: string[]; rows: Cell[][] } {
  return {
    header: ['customerId', 'name', 'phone', 'email', 'externalId', 'tier', 'complaints', 'categories', 'lastComplaintAt'],
    rows: report.items.map((item) => [
      item.customer.id, item.customer.name, item.customer.phone, item.customer.email, item.customer.externalId,
      item.customer.tier, item.complaints, item.categories.join(CATEGORY_SEPARATOR), item.lastComplaintAt,
    ]),
  }
}

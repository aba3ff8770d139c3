import { sql, type RawBuilder } from 'kysely'
import type { SortKey } from '../http/paging.js'

/** The orders of GET /v1/complaints (`sort`): a field, ascending, or descending with a leading `-`. */
export const LIST_SORTS = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'promisedBy', '-promisedBy'] as const
export type ListSort = (typeof LIST_SORTS)[number]

/** The order without `sort` (and without q): newest first. */
export const DEFAULT_SORT: ListSort = '-createdAt'

const COLUMNS = { createdAt: 'created_at', updatedAt: 'updated_at', promisedBy: 'promised_by' } as const

export interface ListOrder {
  sort: ListSort
  column: RawBuilder<unknown>
  dir: 'asc' | 'desc'
  /** promisedBy is null until a promise is made: those complaints come last in both directions. */
  nullable: boolean
  /** The cursor's keys: the field (null once the page is among the nulls), then the id, the tiebreaker. */
  keys: SortKey[]
}

export function listOrder(sort: ListSort): ListOrder {
  const dir = sort.startsWith('-') ? 'desc' : 'asc'
  const field = (dir === 'desc' ? sort.slice(1) : sort) as keyof typeof COLUMNS
  const column = sql`complaints.${sql.raw(COLUMNS[field])}`
  const nullable = field === 'promisedBy'
  return {
    sort,
    column,
    dir,
    nullable,
    keys: [
      { expr: column, dir, kind: 'time', nullable },
      { expr: sql`complaints.id`, dir, kind: 'uuid' },
    ],
  }
}

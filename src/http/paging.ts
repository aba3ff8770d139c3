import { sql, type RawBuilder } from 'kysely'
import Type from 'typebox'
import { isUuid } from '../ids.js'
import { problems } from './problem.js'

/**
 * Keyset paging shared by the lists (docs/api-conventions.md): a cursor is the sort key of the last item of a page,
 * as base64url JSON, opaque to clients. Each list says the kind of every key, so a cursor from another list or one
 * edited by hand is refused (400 validation_failed), never run as a query.
 */
export type KeyKind = 'time' | 'uuid' | 'int'
export type KeyValue = string | number | null

export interface SortKey {
  /** The expression the list orders by (the same expression goes in ORDER BY). */
  expr: RawBuilder<unknown>
  dir: 'asc' | 'desc'
  kind: KeyKind
  /** The expression may be null; nulls sort last (Postgres' default for asc). */
  nullable?: boolean
}

/** Postgres text for a timestamptz with all six fractional digits: a millisecond Date would skip rows. */
export const cursorTime = (column: RawBuilder<unknown>) =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** A real instant Postgres takes (no 31 February, no year 0), in the form cursorTime writes. */
function validTime(value: string): boolean {
  if (!CURSOR_TIME.test(value) || value.startsWith('0000')) return false
  const millis = `${value.slice(0, 23)}Z`
  const date = new Date(millis)
  return !Number.isNaN(date.getTime()) && date.toISOString() === millis
}

export function pagingQuery(max: number, fallback: number) {
  return {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: max, default: fallback, description: 'at most this many items' })),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: "the previous page's nextCursor" })),
  }
}

/** The answer of a paged list: `nextCursor` null on the last page. */
export const pageOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null: this is the last' }) })

export function encodeCursor(values: KeyValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url')
}

function validValue(value: unknown, key: SortKey): boolean {
  if (value === null) return key.nullable === true
  switch (key.kind) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value)
    case 'uuid':
      return typeof value === 'string' && isUuid(value)
    case 'time':
      return typeof value === 'string' && validTime(value)
  }
}

/** The JSON a cursor holds; undefined for anything that is not base64url JSON. */
export function parseCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

const validValues = (values: unknown, keys: SortKey[]): values is KeyValue[] =>
  Array.isArray(values) && values.length === keys.length && values.every((value, i) => validValue(value, keys[i]!))

const notOurs = () => problems.validation([{ field: 'querystring.cursor', message: 'is not a cursor this list gave out' }])

export function decodeCursor(cursor: string, keys: SortKey[]): KeyValue[] {
  const parsed = parseCursor(cursor)
  if (validValues(parsed, keys)) return parsed
  throw notOurs()
}

/**
 * A list with several orders (`sort`) names the order in its cursors, so that a cursor made for one order and passed
 * with another is refused as such, with both names, rather than as garbage or, worse, read as a position in the
 * wrong order.
 */
export function encodeOrderCursor(order: string, values: KeyValue[]): string {
  return Buffer.from(JSON.stringify({ order, after: values })).toString('base64url')
}

/** The order an encodeOrderCursor cursor names; undefined for any other string. */
export function cursorOrder(parsed: unknown): string | undefined {
  const order = (parsed as { order?: unknown } | null | undefined)?.order
  return typeof order === 'string' ? order : undefined
}

/** A cursor of one order used with another: `made` and `used` name them as the caller wrote them (`sort=updatedAt`). */
export function orderMismatch(made: string, used: string) {
  return problems.validation([{ field: 'querystring.cursor', message: `was made for ${made}, not ${used}: start again without cursor` }])
}

export function decodeOrderCursor(cursor: string, order: string, keys: SortKey[]): KeyValue[] {
  const parsed = parseCursor(cursor)
  const made = cursorOrder(parsed)
  if (made !== undefined && made !== order) throw orderMismatch(`sort=${made}`, `sort=${order}`)
  const after = (parsed as { after?: unknown } | undefined)?.after
  if (made === order && validValues(after, keys)) return after
  throw notOurs()
}

const CAST: Record<KeyKind, string> = { time: 'timestamptz', uuid: 'uuid', int: 'bigint' }
const param = (key: SortKey, value: string | number) => sql`${value}::${sql.raw(CAST[key.kind])}`

/** The rows after the cursor's in the order the keys give. */
export function after(keys: SortKey[], values: KeyValue[]): RawBuilder<boolean> {
  const plain = keys.every((key) => !key.nullable && key.dir === keys[0]!.dir)
  if (plain) {
    // A row comparison: an index on the keys serves it.
    const op = sql.raw(keys[0]!.dir === 'asc' ? '>' : '<')
    return sql<boolean>`(${sql.join(keys.map((k) => k.expr))}) ${op} (${sql.join(keys.map((k, i) => param(k, values[i] as string | number)))})`
  }
  const branches: RawBuilder<unknown>[] = []
  const equal: RawBuilder<unknown>[] = []
  keys.forEach((key, i) => {
    const value = values[i]!
    let beyond: RawBuilder<unknown> | null
    if (value === null) {
      beyond = null // nulls come last: nothing sorts after a null but other nulls, which the next keys decide
    } else {
      const op = sql.raw(key.dir === 'asc' ? '>' : '<')
      beyond = key.nullable ? sql`(${key.expr} ${op} ${param(key, value)} or ${key.expr} is null)` : sql`${key.expr} ${op} ${param(key, value)}`
    }
    if (beyond) branches.push(sql`(${sql.join([...equal, beyond], sql` and `)})`)
    equal.push(value === null ? sql`${key.expr} is null` : sql`${key.expr} = ${param(key, value)}`)
  })
  return branches.length === 0 ? sql<boolean>`false` : sql<boolean>`(${sql.join(branches, sql` or `)})`
}

/** Orders a query by the keys. */
export function orderOf(keys: SortKey[]): RawBuilder<unknown> {
  return sql`${sql.join(keys.map((k) => sql`${k.expr} ${sql.raw(k.dir)}${sql.raw(k.nullable ? ' nulls last' : '')}`))}`
}

/** Splits the limit + 1 rows read into the page and its nextCursor (a list whose cursor names its order passes `encode`). */
export function pageFrom<R>(
  rows: R[], limit: number, cursorOf: (row: R) => KeyValue[], encode: (values: KeyValue[]) => string = encodeCursor,
): { page: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return { page, nextCursor: rows.length > limit && last ? encode(cursorOf(last)) : null }
}

/** The lists in creation order (cursorTime of created_at read as cursorAt, then id): the page without cursorAt. */
export function pageByCreation<R extends { cursorAt: string; id: string }>(rows: R[], limit: number): { items: Omit<R, 'cursorAt'>[]; nextCursor: string | null } {
  const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.cursorAt, row.id])
  return { items: page.map(({ cursorAt: _cursorAt, ...row }) => row), nextCursor }
}

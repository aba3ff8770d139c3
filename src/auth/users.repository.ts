import { cachesOf } from '../cache/caches.js'
import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { after, cursorTime, decodeCursor, orderOf, pageByCreation, type SortKey } from '../http/paging.js'
import type { NewUser, UserRole, UserRow, UserUpdate } from '../db/tables.js'

export async function findActiveUserByTokenHash(db: Db, tokenHash: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('tokenHash', '=', tokenHash).where('active', '=', true).executeTakeFirst()
}

export async function findUser(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertUser(db: Db, user: NewUser): Promise<UserRow> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow()
}

/** Changes a user; the token owners this process holds are forgotten after the commit (src/cache/caches.ts). */
export async function updateUser(db: Db, id: string, patch: UserUpdate): Promise<UserRow | undefined> {
  const row = await db
    .updateTable('users')
    .set({ ...patch, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  if (row) cachesOf(db).usersChanged()
  return row
}

const USER_KEYS: SortKey[] = [
  { expr: sql`users.created_at`, dir: 'asc', kind: 'time' },
  { expr: sql`users.id`, dir: 'asc', kind: 'uuid' },
]

/** Oldest first, keyset-paginated on (createdAt, id). */
export async function listUsers(
  db: Db,
  filter: { role?: UserRole; active?: boolean; limit?: number; cursor?: string },
): Promise<{ items: UserRow[]; nextCursor: string | null }> {
  const limit = filter.limit ?? 50
  let query = db.selectFrom('users').selectAll().select(cursorTime(sql`users.created_at`).as('cursorAt'))
  if (filter.role) query = query.where('role', '=', filter.role)
  if (filter.active !== undefined) query = query.where('active', '=', filter.active)
  if (filter.cursor) query = query.where(after(USER_KEYS, decodeCursor(filter.cursor, USER_KEYS)))
  const rows = await query.orderBy(orderOf(USER_KEYS)).limit(limit + 1).execute()
  return pageByCreation(rows, limit)
}

/** Makes sure an admin with this token exists and is active; an existing one is kept as it is. */
export async function ensureBootstrapAdmin(db: Db, tokenHash: string): Promise<UserRow> {
  const existing = await db.selectFrom('users').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst()
  if (existing) {
    if (existing.role === 'admin' && existing.active) return existing
    return (await updateUser(db, existing.id, { role: 'admin', level: null, active: true }))!
  }
  await db
    .insertInto('users')
    .values({ name: 'Bootstrap admin', role: 'admin', tokenHash, compensationLimit: 0 })
    .onConflict((oc) => oc.column('tokenHash').doNothing())
    .execute()
  return (await db.selectFrom('users').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirstOrThrow())
}

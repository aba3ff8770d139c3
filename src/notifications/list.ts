import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { after, cursorTime, decodeCursor, orderOf, pageFrom, type SortKey } from '../http/paging.js'
import { problems } from '../http/problem.js'
import { maskAddress } from './mask.js'

/** Newest first. */
const NOTIFICATION_KEYS: SortKey[] = [
  { expr: sql`n.created_at`, dir: 'desc', kind: 'time' },
  { expr: sql`n.id`, dir: 'desc', kind: 'uuid' },
]

/** A complaint's messages to its customer, newest first, addresses masked; keyset-paginated on (createdAt, id). */
export async function listNotifications(db: Db, complaintId: string, query: { limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50
  const complaint = await db.selectFrom('complaints').select('id').where('id', '=', complaintId).executeTakeFirst()
  if (!complaint) throw problems.notFound('complaint')
  let q = db
    .selectFrom('notifications as n')
    .select(['n.id', 'n.kind', 'n.channel', 'n.recipient', 'n.status', 'n.attempts', 'n.sentAt', 'n.lastError', 'n.createdAt'])
    .select(cursorTime(sql`n.created_at`).as('cursorAt'))
    .where('n.complaintId', '=', complaintId)
  if (query.cursor) q = q.where(after(NOTIFICATION_KEYS, decodeCursor(query.cursor, NOTIFICATION_KEYS)))
  const rows = await q.orderBy(orderOf(NOTIFICATION_KEYS)).limit(limit + 1).execute()
  const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.cursorAt, row.id])
  const items = page.map((row) => ({
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    to: maskAddress(row.channel, row.recipient),
    status: row.status,
    attempts: row.attempts,
    sentAt: row.sentAt?.toISOString() ?? null,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
  }))
  return { items, nextCursor }
}

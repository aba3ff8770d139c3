import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { problems } from '../http/problem.js'
import { decodeCursor } from '../webhooks/deliveries.list.js'
import { maskAddress } from './mask.js'

/** A complaint's messages to its customer, newest first, addresses masked; keyset-paginated on (createdAt, id). */
export async function listNotifications(db: Db, complaintId: string, query: { limit?: number; cursor?: string }) {
  const limit = query.limit ?? 50
  const complaint = await db.selectFrom('complaints').select('id').where('id', '=', complaintId).executeTakeFirst()
  if (!complaint) throw problems.notFound('complaint')
  let q = db
    .selectFrom('notifications as n')
    .select(['n.id', 'n.kind', 'n.channel', 'n.recipient', 'n.status', 'n.attempts', 'n.sentAt', 'n.lastError', 'n.createdAt'])
    .select(sql<string>`to_char(n.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursorAt'))
    .where('n.complaintId', '=', complaintId)
  if (query.cursor) {
    const { at, id } = decodeCursor(query.cursor)
    q = q.where(sql<boolean>`(n.created_at, n.id) < (${at}::timestamptz, ${id}::uuid)`)
  }
  const rows = await q.orderBy('n.createdAt', 'desc').orderBy('n.id', 'desc').limit(limit + 1).execute()
  const page = rows.slice(0, limit)
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
  const last = page.at(-1)
  const nextCursor = rows.length > limit && last ? Buffer.from(`${last.cursorAt}|${last.id}`).toString('base64url') : null
  return { items, nextCursor }
}

import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { DeliveryStatus, WebhookAttemptRow } from '../db/tables.js'
import { Problem, problems } from '../http/problem.js'

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

function decodeCursor(cursor: string): { at: string; id: string } {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match || Number.isNaN(new Date(match[1]!).getTime())) {
    throw problems.validation([{ field: 'querystring.cursor', message: 'is not a cursor this API gave out' }])
  }
  return { at: match[1]!, id: match[2]! }
}

const iso = (date: Date | null) => date?.toISOString() ?? null

function presentAttempt(a: WebhookAttemptRow) {
  return {
    n: a.n, startedAt: a.startedAt.toISOString(), finishedAt: iso(a.finishedAt), durationMs: a.durationMs,
    statusCode: a.statusCode, error: a.error, responseBody: a.responseBody,
  }
}

/** An endpoint's deliveries, newest first, each with its attempts; keyset-paginated on (createdAt, id). */
export async function listDeliveries(
  db: Db,
  endpointId: string,
  query: { status?: DeliveryStatus; limit?: number; cursor?: string; id?: string },
) {
  const limit = query.limit ?? 50
  let q = db
    .selectFrom('webhookDeliveries as d')
    .innerJoin('webhookEvents as e', 'e.id', 'd.eventId')
    .select(['d.id', 'd.eventId', 'e.type', 'd.complaintId', 'd.seq', 'd.seqIndex', 'd.status', 'd.nextAttemptAt', 'd.createdAt', 'd.finishedAt'])
    .select(sql<string>`to_char(d.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursorAt'))
    .where('d.endpointId', '=', endpointId)
  if (query.id) q = q.where('d.id', '=', query.id)
  if (query.status) q = q.where('d.status', '=', query.status)
  if (query.cursor) {
    const { at, id } = decodeCursor(query.cursor)
    q = q.where(sql<boolean>`(d.created_at, d.id) < (${at}::timestamptz, ${id}::uuid)`)
  }
  const rows = await q.orderBy('d.createdAt', 'desc').orderBy('d.id', 'desc').limit(limit + 1).execute()
  const page = rows.slice(0, limit)
  const attempts = page.length === 0 ? [] : await db.selectFrom('webhookAttempts').selectAll()
    .where('deliveryId', 'in', page.map((r) => r.id)).orderBy('n').execute()
  const items = page.map((row) => ({
    id: row.id,
    webhookId: row.eventId,
    eventType: row.type,
    complaintId: row.complaintId,
    seq: row.seq,
    seqIndex: row.seqIndex,
    status: row.status,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    finishedAt: iso(row.finishedAt),
    attempts: attempts.filter((a) => a.deliveryId === row.id).map(presentAttempt),
  }))
  const last = page.at(-1)
  const nextCursor = rows.length > limit && last ? Buffer.from(`${last.cursorAt}|${last.id}`).toString('base64url') : null
  return { items, nextCursor }
}

export async function getDelivery(db: Db, endpointId: string, id: string) {
  const [delivery] = (await listDeliveries(db, endpointId, { id, limit: 1 })).items
  if (!delivery) throw problems.notFound('delivery')
  return delivery
}

/**
 * Sends a delivery again by hand, as a fresh run of attempts with a fresh retry window: a settled one goes back to
 * pending (same webhook-id, so a receiver that kept it can tell), a pending one is made due now.
 */
export async function replayDelivery(db: Db, endpointId: string, deliveryId: string) {
  return db.transaction().execute(async (trx) => {
    const endpoint = await trx.selectFrom('webhookEndpoints').select(['active']).where('id', '=', endpointId)
      .where('deletedAt', 'is', null).forShare().executeTakeFirst()
    if (!endpoint) throw problems.notFound('webhook endpoint')
    const delivery = await trx.selectFrom('webhookDeliveries').select(['id', 'status', 'leaseUntil'])
      .where('id', '=', deliveryId).where('endpointId', '=', endpointId).forUpdate().executeTakeFirst()
    if (!delivery) throw problems.notFound('delivery')
    if (!endpoint.active) throw new Problem('conflict', 'the endpoint is disabled: enable it (PATCH active: true) first')
    if (delivery.status === 'pending' && delivery.leaseUntil && delivery.leaseUntil.getTime() > Date.now()) {
      throw new Problem('conflict', 'this delivery is being attempted right now')
    }
    const now = new Date()
    return trx.updateTable('webhookDeliveries')
      .set({ status: 'pending', nextAttemptAt: now, retrySince: now, finishedAt: null, leaseUntil: null, updatedAt: now })
      .where('id', '=', deliveryId).returning(['id', 'attempts']).executeTakeFirstOrThrow()
  })
}

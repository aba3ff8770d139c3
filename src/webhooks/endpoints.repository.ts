import { sql } from 'kysely'
import { after, cursorTime, decodeCursor, orderOf, pageByCreation, type SortKey } from '../http/paging.js'
import { newWebhookSecret } from '../auth/tokens.js'
import { cachesOf } from '../cache/caches.js'
import type { Db, Trx } from '../db/database.js'
import type { WebhookEndpointRow } from '../db/tables.js'
import { cancelPending, disableEndpoint } from './deliveries.repository.js'

export function presentEndpoint(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    integrationId: row.integrationId,
    active: row.active,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

/** What the outbox needs of an endpoint that takes events. */
export interface ActiveEndpoint {
  id: string
  events: string[]
  integrationId: string | null
  consecutiveFailures: number
}

/** The endpoints that take events: active and not deleted (read through `cachesOf(db).endpoints()`). */
export async function findActiveEndpoints(db: Db | Trx): Promise<ActiveEndpoint[]> {
  return db
    .selectFrom('webhookEndpoints')
    .select(['id', 'events', 'integrationId', 'consecutiveFailures'])
    .where('active', '=', true)
    .where('deletedAt', 'is', null)
    .execute()
}

export async function findEndpoint(db: Db, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhookEndpoints').selectAll().where('id', '=', id).where('deletedAt', 'is', null).executeTakeFirst()
}

const ENDPOINT_KEYS: SortKey[] = [
  { expr: sql`webhook_endpoints.created_at`, dir: 'asc', kind: 'time' },
  { expr: sql`webhook_endpoints.id`, dir: 'asc', kind: 'uuid' },
]

/** Oldest first, keyset-paginated on (createdAt, id). */
export async function listEndpoints(
  db: Db,
  query: { limit?: number; cursor?: string } = {},
): Promise<{ items: WebhookEndpointRow[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50
  let q = db.selectFrom('webhookEndpoints').selectAll().select(cursorTime(sql`webhook_endpoints.created_at`).as('cursorAt'))
    .where('deletedAt', 'is', null)
  if (query.cursor) q = q.where(after(ENDPOINT_KEYS, decodeCursor(query.cursor, ENDPOINT_KEYS)))
  const rows = await q.orderBy(orderOf(ENDPOINT_KEYS)).limit(limit + 1).execute()
  return pageByCreation(rows, limit)
}

export async function insertEndpoint(
  db: Db,
  values: { url: string; events: string[]; integrationId: string | null; description: string | null; createdBy: string },
): Promise<WebhookEndpointRow> {
  const row = await db.insertInto('webhookEndpoints').values({ ...values, secret: newWebhookSecret() }).returningAll().executeTakeFirstOrThrow()
  cachesOf(db).endpointsChanged()
  return row
}

export interface EndpointPatch {
  url?: string
  events?: string[]
  integrationId?: string | null
  description?: string | null
  active?: boolean
}

/** Changes an endpoint; stopping it cancels what is pending, starting it again clears its failure record. */
export async function updateEndpoint(db: Db, id: string, patch: EndpointPatch): Promise<WebhookEndpointRow | undefined> {
  const updated = await db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('webhookEndpoints').selectAll().where('id', '=', id).where('deletedAt', 'is', null)
      .forUpdate().executeTakeFirst()
    if (!current) return undefined
    const now = new Date()
    const { active, ...fields } = patch
    if (active === false && current.active) await disableEndpoint(trx, id, 'manual', now)
    const restart = active === true && !current.active
      ? { active: true, disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null }
      : {}
    return trx.updateTable('webhookEndpoints').set({ ...fields, ...restart, updatedAt: now }).where('id', '=', id)
      .returningAll().executeTakeFirstOrThrow()
  })
  // After the commit: this process's next transition sees the change (others within CACHE_TTL).
  if (updated) cachesOf(db).endpointsChanged()
  return updated
}

/** Deleting keeps the row and its delivery history out of sight; nothing more is sent to it. */
export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  const deleted = await db.transaction().execute(async (trx) => {
    const now = new Date()
    const deleted = await trx.updateTable('webhookEndpoints').set({ deletedAt: now, active: false, updatedAt: now })
      .where('id', '=', id).where('deletedAt', 'is', null).returning('id').executeTakeFirst()
    if (deleted) await cancelPending(trx, id, now)
    return deleted !== undefined
  })
  if (deleted) cachesOf(db).endpointsChanged()
  return deleted
}

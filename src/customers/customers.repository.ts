import { sql } from 'kysely'
import type { Db, Trx } from '../db/database.js'
import type { CustomerRow } from '../db/tables.js'
import type { CustomerIdentity } from './identity.js'

const IDENTITY_KEYS = ['externalId', 'phone', 'email'] as const
const COLUMN = { externalId: 'external_id', phone: 'phone', email: 'email' } as const
// The first key of the two-integer advisory lock space: "customer identity".
const IDENTITY_LOCK_SPACE = 0x43555354

/**
 * Serialises intake for the same identity values until the transaction ends. Without it, two requests
 * sharing a value (one creating a customer by email, one adding that email to a customer known by phone)
 * each miss the other's uncommitted row and one of them fails on the unique index. Locks are taken in one
 * order, so two requests never wait for each other.
 */
async function lockIdentity(trx: Trx, identity: CustomerIdentity): Promise<void> {
  const values = IDENTITY_KEYS.filter((key) => identity[key] !== null).map((key) => `${key}:${identity[key]}`).sort()
  if (values.length === 0) return
  // One statement for all of them, taken in the sorted order of the subquery.
  await sql`select count(pg_advisory_xact_lock(${IDENTITY_LOCK_SPACE}, hashtext(v)))
    from (select v from unnest(${values}::text[]) as v order by v) as ordered`.execute(trx)
}

async function findByIdentity(trx: Trx, identity: CustomerIdentity): Promise<CustomerRow[]> {
  return trx
    .selectFrom('customers')
    .selectAll()
    .where((eb) =>
      eb.or(
        IDENTITY_KEYS.filter((key) => identity[key] !== null).map((key) => eb(key, '=', identity[key] as string)),
      ),
    )
    .execute()
}

function bestMatch(rows: CustomerRow[], identity: CustomerIdentity): CustomerRow | undefined {
  for (const key of IDENTITY_KEYS) {
    const match = rows.find((row) => identity[key] !== null && row[key] === identity[key])
    if (match) return match
  }
  return undefined
}

/**
 * One customer per identity, so repeat complainants are found. A known customer gains the identities
 * (and name, tier) it lacked, unless another customer already holds them.
 */
export async function findOrCreateCustomer(trx: Trx, identity: CustomerIdentity): Promise<CustomerRow> {
  await lockIdentity(trx, identity)
  for (let attempt = 0; attempt < 3; attempt++) {
    const rows = await findByIdentity(trx, identity)
    const match = bestMatch(rows, identity)
    if (match) return enrich(trx, match, identity, rows)
    // Concurrent intake of the same new customer: the loser's insert does nothing and finds the winner's row.
    const inserted = await trx
      .insertInto('customers')
      .values(identity)
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst()
    if (inserted) return inserted
  }
  throw new Error('could not find or create the customer')
}

async function enrich(trx: Trx, row: CustomerRow, identity: CustomerIdentity, others: CustomerRow[]): Promise<CustomerRow> {
  const patch: Partial<Record<'name' | 'tier' | 'language' | (typeof IDENTITY_KEYS)[number], string | ReturnType<typeof sql<string>>>> & { notify?: boolean } = {}
  // coalesce: a concurrent request may have filled the field since we read the row; never overwrite it.
  for (const key of IDENTITY_KEYS) {
    const value = identity[key]
    if (value !== null && row[key] === null && !others.some((o) => o.id !== row.id && o[key] === value)) {
      patch[key] = sql<string>`coalesce(${sql.id(COLUMN[key])}, ${value})`
    }
  }
  if (identity.name && !row.name) patch.name = sql<string>`coalesce(name, ${identity.name})`
  if (identity.tier && identity.tier !== row.tier) patch.tier = identity.tier
  // Preferences, unlike the identities, follow what the customer says now.
  if (identity.language !== undefined && identity.language !== row.language) patch.language = identity.language
  if (identity.notify !== undefined && identity.notify !== row.notify) patch.notify = identity.notify
  if (Object.keys(patch).length === 0) return row
  const updated = await trx
    .updateTable('customers')
    .set({ ...patch, updatedAt: new Date() })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirst()
  return updated ?? row
}

export const NEWEST_COMPLAINTS = 50

/**
 * The customer with its newest complaints; an integration sees a customer only through the complaints it sent, so
 * for one that sent none the customer does not exist (undefined).
 */
export async function findCustomerDetail(db: Db, id: string, integrationId: string | null) {
  const customer = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst()
  if (!customer) return undefined
  let complaints = db.selectFrom('complaints').select(['id', 'reference', 'state', 'category', 'createdAt'])
    .where('customerId', '=', id)
  if (integrationId) complaints = complaints.where('integrationId', '=', integrationId)
  const rows = await complaints.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(NEWEST_COMPLAINTS).execute()
  if (integrationId && rows.length === 0) return undefined
  return { customer, complaints: rows }
}

export interface CustomerPatch {
  name?: string
  tier?: string | null
  language?: string | null
  notify?: boolean
}

/** Changes a customer (PATCH /v1/customers/{id}); undefined when there is none. */
export async function updateCustomer(db: Db, id: string, patch: CustomerPatch): Promise<CustomerRow | undefined> {
  return db.updateTable('customers').set({ ...patch, updatedAt: new Date() }).where('id', '=', id).returningAll().executeTakeFirst()
}

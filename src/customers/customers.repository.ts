import type { Trx } from '../db/database.js'
import type { CustomerRow } from '../db/tables.js'
import type { CustomerIdentity } from './identity.js'

const IDENTITY_KEYS = ['externalId', 'phone', 'email'] as const

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
  const patch: Partial<Record<'name' | 'tier' | (typeof IDENTITY_KEYS)[number], string>> = {}
  for (const key of IDENTITY_KEYS) {
    const value = identity[key]
    if (value !== null && row[key] === null && !others.some((o) => o.id !== row.id && o[key] === value)) patch[key] = value
  }
  if (identity.name && !row.name) patch.name = identity.name
  if (identity.tier && identity.tier !== row.tier) patch.tier = identity.tier
  if (Object.keys(patch).length === 0) return row
  const updated = await trx
    .updateTable('customers')
    .set({ ...patch, updatedAt: new Date() })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirst()
  return updated ?? row
}

import { sql } from 'kysely'
import type { Executor } from '../complaints/complaint.repository.js'
import type { Db } from '../db/database.js'
import { DEFAULT_POLICY, type SlaPolicy } from './policy.js'
import { readablePolicy } from './policy.validation.js'
import { jsonb } from '../db/jsonb.js'

export interface StoredPolicy {
  policy: SlaPolicy
  version: number
  updatedAt: Date | null
}

const NO_POLICY: StoredPolicy = Object.freeze({ policy: DEFAULT_POLICY, version: 0, updatedAt: null })

/**
 * The policy in force: the newest stored one, or the built-in default before an admin sets one. Most callers want
 * `cachesOf(db).policy()` (src/cache/caches.ts), which reads this at most once per CACHE_TTL. `known`, a policy read
 * before, is answered as it is when its version is still the newest (a saved version is never edited; the repair
 * migration that rewrote broken rows gives them the same readable form): it is not validated again, and what was
 * compiled from it (calendars) is kept.
 */
export async function currentPolicy(db: Executor, known?: StoredPolicy): Promise<StoredPolicy> {
  const row = await db.selectFrom('slaPolicies').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst()
  if (known && (row?.id ?? 0) === known.version) return known
  if (!row) return NO_POLICY
  return { policy: readablePolicy(row.policy), version: row.id, updatedAt: row.createdAt }
}

/**
 * Saves a new version; with `expected`, only if the version in force is that one (undefined when it is not). Saves
 * take turns on an advisory lock so that two saves of the same expected version cannot both pass the check.
 */
export async function savePolicy(db: Db, policy: SlaPolicy, userId: string, expected?: number): Promise<StoredPolicy | undefined> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${POLICY_LOCK})`.execute(trx)
    const { rows: [row] } = await sql<{ id: number; createdAt: Date }>`
      insert into sla_policies (policy, created_by)
      select ${jsonb(policy)}::jsonb, ${userId}::uuid
      where ${expected ?? null}::int is null or ${expected ?? null}::int = coalesce((select max(id) from sla_policies), 0)
      returning id, created_at as "createdAt"`.execute(trx)
    return row && { policy, version: row.id, updatedAt: row.createdAt }
  })
}

// "SLAP": the one key of the advisory lock that orders policy saves.
const POLICY_LOCK = 0x534c4150

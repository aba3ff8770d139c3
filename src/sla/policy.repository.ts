import type { Executor } from '../complaints/complaint.repository.js'
import { DEFAULT_POLICY, type SlaPolicy } from './policy.js'
import { readablePolicy } from './policy.validation.js'

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

export async function savePolicy(db: Executor, policy: SlaPolicy, userId: string): Promise<StoredPolicy> {
  const row = await db
    .insertInto('slaPolicies')
    .values({ policy: JSON.stringify(policy), createdBy: userId })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { policy, version: row.id, updatedAt: row.createdAt }
}

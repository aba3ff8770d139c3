import type { Executor } from '../complaints/complaint.repository.js'
import { DEFAULT_POLICY, type SlaPolicy } from './policy.js'
import { readablePolicy } from './policy.validation.js'

export interface StoredPolicy {
  policy: SlaPolicy
  version: number
  updatedAt: Date | null
}

/** The policy in force: the newest stored one, or the built-in default before an admin sets one. */
export async function currentPolicy(db: Executor): Promise<StoredPolicy> {
  const row = await db.selectFrom('slaPolicies').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst()
  if (!row) return { policy: DEFAULT_POLICY, version: 0, updatedAt: null }
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

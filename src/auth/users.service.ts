import type { Static } from 'typebox'
import type { Db } from '../db/database.js'
import type { UserRow } from '../db/tables.js'
import { hashToken, newToken, newWebhookSecret } from './tokens.js'
import type { CreateUserBody } from './users.schemas.js'
import { insertUser, updateUser } from './users.repository.js'

export type NewUserInput = Static<typeof CreateUserBody>

/** What the schema cannot say about a new user: a supervisor has a level, nobody else does. */
export function userRuleViolations(input: Pick<NewUserInput, 'role' | 'level'>): { field: string; message: string }[] {
  if (input.role === 'supervisor' && input.level === undefined) return [{ field: 'body.level', message: 'a supervisor needs a level (1, 2 or 3)' }]
  if (input.role !== 'supervisor' && input.level !== undefined) return [{ field: 'body.level', message: 'only supervisors have a level' }]
  return []
}

/** A user and its token (only the hash is stored: the token is shown once), and an integration's webhook secret. */
export async function createUser(db: Db, input: NewUserInput): Promise<{ row: UserRow; token: string; webhookSecret: string | null }> {
  const token = newToken()
  const webhookSecret = input.role === 'integration' ? newWebhookSecret() : null
  const row = await insertUser(db, {
    name: input.name, role: input.role, level: input.level ?? null, compensationLimit: input.compensationLimit ?? 0,
    teams: input.teams ?? [], tokenHash: hashToken(token), webhookSecret,
  })
  return { row, token, webhookSecret }
}

/** A new token for a user; the old one stops working at once (in every process, src/cache/caches.ts). */
export async function rotateToken(db: Db, id: string): Promise<{ row: UserRow; token: string } | undefined> {
  const token = newToken()
  const row = await updateUser(db, id, { tokenHash: hashToken(token) })
  return row && { row, token }
}

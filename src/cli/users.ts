import { parseArgs } from 'node:util'
import { Value } from 'typebox/value'
import type { Db } from '../db/database.js'
import { presentUser } from '../auth/users.routes.js'
import { createUser, rotateToken, userRuleViolations, type NewUserInput } from '../auth/users.service.js'
import { CreateUserBody } from '../auth/users.schemas.js'
import { updateUser } from '../auth/users.repository.js'

export const USERS_USAGE = [
  'hotline users create --name NAME --role agent|supervisor|admin|integration [--level 1-3] [--compensation-limit N] [--team T]...',
  'hotline users deactivate USER_ID',
  'hotline users rotate-token USER_ID',
].join('\n')

/** A mistake in the command line: printed with the usage, exit code 64 (EX_USAGE). */
export class UsageError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Runs `users ...`; answers what to print (JSON: the user, with its token where one was made). */
export async function usersCommand(db: Db, args: string[]): Promise<unknown> {
  const [action, ...rest] = args
  if (action === 'create') return create(db, rest)
  if (action !== 'deactivate' && action !== 'rotate-token') throw new UsageError(`unknown users command ${action ?? '(none)'}`)
  const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true })
  const id = positionals[0]
  if (positionals.length !== 1 || !UUID.test(id!)) throw new UsageError(`users ${action} needs one user id (a UUID)`)
  if (action === 'deactivate') {
    const row = await updateUser(db, id!, { active: false })
    if (!row) throw new UsageError(`no user ${id}`)
    return presentUser(row)
  }
  const rotated = await rotateToken(db, id!)
  if (!rotated) throw new UsageError(`no user ${id}`)
  return { ...presentUser(rotated.row), token: rotated.token }
}

async function create(db: Db, args: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      level: { type: 'string' },
      'compensation-limit': { type: 'string' },
      team: { type: 'string', multiple: true },
    },
  })
  const input = {
    name: values.name,
    role: values.role,
    ...(values.level !== undefined ? { level: Number(values.level) } : {}),
    ...(values['compensation-limit'] !== undefined ? { compensationLimit: Number(values['compensation-limit']) } : {}),
    ...(values.team ? { teams: values.team } : {}),
  }
  // The same schema and rules as POST /v1/users.
  const problems = [...Value.Errors(CreateUserBody, input)].map((e) => `${e.instancePath || '/'} ${e.message}`)
  if (problems.length === 0) problems.push(...userRuleViolations(input as NewUserInput).map((v) => `${v.field.replace('body.', '/')} ${v.message}`))
  if (problems.length > 0) throw new UsageError(`users create: ${problems.join('; ')}`)
  const { row, token, webhookSecret } = await createUser(db, input as NewUserInput)
  return { ...presentUser(row), token, ...(webhookSecret ? { webhookSecret } : {}) }
}

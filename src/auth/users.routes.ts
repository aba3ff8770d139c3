import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { USER_ROLES, type UserRow } from '../db/tables.js'
import { Problem, problems } from '../http/problem.js'
import { pageOf } from '../http/paging.js'
import { IdParams, json, problemResponses } from '../http/schemas.js'
import { toAuthUser } from './auth.plugin.js'
import { cachesOf } from '../cache/caches.js'
import { createUser, userRuleViolations } from './users.service.js'
import { CreatedUser, CreateUserBody, ListUsersQuery, Me, UpdateUserBody } from './users.schemas.js'
import { findUser, listUsers, updateUser } from './users.repository.js'

export function presentUser(row: UserRow) {
  const { id, name, role, level, compensationLimit, teams } = toAuthUser(row)
  return {
    id, name, role, level, compensationLimit, teams,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

const usersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = { roles: ['admin'] as const }

  app.post('/v1/users', {
    config: admin,
    schema: {
      tags: ['users'],
      operationId: 'createUser',
      summary: 'Create a user and its token (shown once)',
      description: 'Admins only. The answer holds the user\'s bearer token, and for an integration its Standard Webhooks `webhookSecret`, both shown this once: only the token\'s hash is stored. `level` is for supervisors (1 team lead, 2 manager, 3 director); `compensationLimit` bounds what the user may grant when resolving (403 authority_exceeded above it).',
      body: CreateUserBody,
      response: { 201: json(CreatedUser, 'The user, with its token'), ...problemResponses(413, 415) },
    },
  }, async (request, reply) => {
    const violations = userRuleViolations(request.body)
    if (violations.length > 0) throw problems.validation(violations)
    const { row, token, webhookSecret } = await createUser(app.db, request.body)
    reply.status(201)
    return { ...presentUser(row), token, ...(webhookSecret ? { webhookSecret } : {}) }
  })

  app.get('/v1/users', {
    config: admin,
    schema: {
      tags: ['users'],
      operationId: 'listUsers',
      summary: 'List users, oldest first',
      description: 'Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      querystring: ListUsersQuery,
      response: { 200: json(pageOf(Type.Ref('User')), 'A page of users'), ...problemResponses() },
    },
  }, async (request) => {
    const { items, nextCursor } = await listUsers(app.db, request.query)
    return { items: items.map(presentUser), nextCursor }
  })

  app.get('/v1/me', {
    config: { roles: USER_ROLES },
    schema: {
      tags: ['users'],
      operationId: 'getMe',
      summary: 'The caller, with the time zone their times are written in',
      description: 'Any role. The user the bearer token belongs to, and the SLA policy\'s calendar zone, in which the hotline writes local times (messages to customers, the board).',
      response: { 200: json(Me, 'The authenticated user'), ...problemResponses() },
    },
  }, async (request) => {
    const [row, { policy }] = await Promise.all([findUser(app.db, request.user.id), cachesOf(app.db).policy()])
    return { ...presentUser(row!), timezone: policy.calendar.timezone }
  })

  app.patch('/v1/users/:id', {
    config: admin,
    schema: {
      tags: ['users'],
      operationId: 'updateUser',
      summary: 'Change or deactivate a user',
      description: 'Admins only. Only the fields sent change. `active: false` deactivates the user: their token stops working at once in this process and within CACHE_TTL (a second by default) in every other.',
      params: IdParams,
      body: UpdateUserBody,
      response: { 200: json(Type.Ref('User'), 'The updated user'), ...problemResponses('not_found', 'conflict', 413, 415) },
    },
  }, async (request) => {
    const existing = await findUser(app.db, request.params.id)
    if (!existing) throw problems.notFound('user')
    if (request.body.level !== undefined && existing.role !== 'supervisor') {
      throw problems.validation([{ field: 'body.level', message: 'only supervisors have a level' }])
    }
    if (request.body.active === false && existing.id === request.user.id) {
      throw new Problem('conflict', 'an admin cannot deactivate themselves')
    }
    const row = await updateUser(app.db, existing.id, request.body)
    return presentUser(row!)
  })
}

export default usersRoutes

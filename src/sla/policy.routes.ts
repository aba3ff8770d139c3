import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problems } from '../http/problem.js'
import { json, problemResponses } from '../http/schemas.js'
import type { SlaPolicy } from './policy.js'
import { cachesOf } from '../cache/caches.js'
import { savePolicy, type StoredPolicy } from './policy.repository.js'
import { SlaPolicyResponse, SlaPolicySchema } from './policy.schemas.js'
import { policyErrors } from './policy.validation.js'

const present = ({ policy, version, updatedAt }: StoredPolicy) => ({ ...policy, version, updatedAt: updatedAt?.toISOString() ?? null })

const policyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/sla-policies', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'getSlaPolicy',
      tags: ['sla'],
      summary: 'The SLA policy in force',
      response: { 200: json(SlaPolicyResponse, 'The policy, with its version'), ...problemResponses() },
    },
  }, async () => present(await cachesOf(app.db).policy()))

  app.put('/v1/sla-policies', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'putSlaPolicy',
      tags: ['sla'],
      summary: 'Replace the SLA policy; pending deadlines keep what was promised',
      body: SlaPolicySchema,
      response: { 200: json(SlaPolicyResponse, 'The new policy, with its version'), ...problemResponses(413, 415) },
    },
  }, async (request) => {
    // The schema has checked every field and its type; the policy is checked whole before anything is saved.
    const policy = request.body as SlaPolicy // the schema holds every interval to exactly two items
    const errors = policyErrors(policy)
    if (errors.length > 0) throw problems.validation(errors)
    const saved = await savePolicy(app.db, policy, request.user.id)
    // Committed: this process's next command applies it; the others within CACHE_TTL (docs/operations.md).
    cachesOf(app.db).policyChanged()
    return present(saved)
  })
}

export default policyRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem, problems } from '../http/problem.js'
import { json, problemResponses } from '../http/schemas.js'
import type { SlaPolicy } from './policy.js'
import { cachesOf } from '../cache/caches.js'
import { savePolicy, type StoredPolicy } from './policy.repository.js'
import { SlaPolicyPut, SlaPolicyResponse } from './policy.schemas.js'
import { policyErrors, readablePolicy } from './policy.validation.js'

const present = ({ policy, version, updatedAt }: StoredPolicy) => ({ ...policy, version, updatedAt: updatedAt?.toISOString() ?? null })

const policyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/sla-policies', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'getSlaPolicy',
      tags: ['sla'],
      summary: 'The SLA policy in force',
      description: 'Admins only. The policy and its `version` (0 while the built-in default is in force); every field is answered, the defaults filling in what a stored policy lacks. What GET answers may be sent back to PUT as it is.',
      response: { 200: json(SlaPolicyResponse, 'The policy, with its version'), ...problemResponses() },
    },
  }, async () => present(await cachesOf(app.db).policy()))

  app.put('/v1/sla-policies', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'putSlaPolicy',
      tags: ['sla'],
      summary: 'Replace the SLA policy; pending deadlines keep what was promised',
      description: 'Accepts what GET answered: `version`, when given, must be the version in force (else 412 ' +
        '`version_conflict`); `updatedAt` is ignored. Fields left out that have a default (`maxExtension`, ...) take it.',
      body: SlaPolicyPut,
      response: { 200: json(SlaPolicyResponse, 'The new policy, with its version'), ...problemResponses('version_conflict', 413, 415) },
    },
  }, async (request) => {
    const { version, updatedAt: _readOnly, ...given } = request.body
    // The schema has checked every field and its type; the policy is checked whole before anything is saved.
    const errors = policyErrors(given as SlaPolicy)
    if (errors.length > 0) throw problems.validation(errors)
    // Valid as given, so only the fields left out take their defaults.
    const policy = readablePolicy(given)
    const saved = await savePolicy(app.db, policy, request.user.id, version)
    if (!saved) {
      const current = await cachesOf(app.db).policy()
      throw new Problem('version_conflict', `the policy in force is version ${current.version}, not ${version}; read it again and retry`, {
        currentVersion: current.version,
      })
    }
    // Committed: this process's next command applies it; the others within CACHE_TTL (docs/operations.md).
    cachesOf(app.db).policyChanged()
    return present(saved)
  })
}

export default policyRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { Problem } from '../http/problem.js'
import { json, publicProblemResponses } from '../http/schemas.js'
import { withTimeout } from '../with-timeout.js'

const Check = Type.Union([Type.Literal('up'), Type.Literal('down')])
const Checks = Type.Object({ postgres: Check, redis: Check })

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    config: { public: true },
    logLevel: 'warn',
    schema: {
      tags: ['operations'],
      operationId: 'healthz',
      summary: 'Liveness: the process answers',
      description: 'For a liveness probe: 200 as long as the process serves HTTP; it touches neither Postgres nor Redis. Never rate-limited.',
      security: [],
      response: { 200: json(Type.Object({ status: Type.Literal('ok') }), 'Alive'), ...publicProblemResponses() },
    },
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    config: { public: true },
    logLevel: 'warn',
    schema: {
      tags: ['operations'],
      operationId: 'readyz',
      summary: 'Readiness: Postgres and Redis are reachable',
      description: 'For a readiness probe: 200 with each check when Postgres and Redis both answer, else 503 (take the process out of the balancer until it is 200 again). Never rate-limited.',
      security: [],
      response: {
        200: json(Type.Object({ status: Type.Literal('ready'), checks: Checks }), 'Ready'),
        ...publicProblemResponses(503),
      },
    },
  }, async (request) => {
    const [postgres, redis] = await Promise.all([
      withTimeout(sql`select 1`.execute(app.db), 2_000).then(() => 'up' as const, () => 'down' as const),
      withTimeout(app.redis.ping(), 1_000).then(() => 'up' as const, () => 'down' as const),
    ])
    const checks = { postgres, redis }
    if (postgres === 'down' || redis === 'down') {
      request.log.warn({ checks }, 'not ready')
      throw new Problem('service_unavailable', 'a dependency is unreachable', { checks })
    }
    return { status: 'ready' as const, checks }
  })
}

export default healthRoutes

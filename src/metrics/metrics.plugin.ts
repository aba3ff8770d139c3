import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { publicProblemResponses } from '../http/schemas.js'
import type { Metrics } from './metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/** The route label of a request that matched no route (404s): raw URLs would make a series per scanner probe. */
export const UNMATCHED_ROUTE = 'unmatched'

/**
 * Times every request (by method, route pattern and status) and serves `GET /metrics`, public like the probes.
 * Registered before the routes so that its hook applies to all of them.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance, options: { metrics: Metrics }) {
    const { metrics } = options
    app.decorate('metrics', metrics)

    app.addHook('onResponse', async (request, reply) => {
      metrics.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      )
    })

    app.get('/metrics', {
      config: { public: true },
      logLevel: 'warn',
      schema: {
        operationId: 'metrics',
        tags: ['operations'],
        summary: 'Prometheus metrics of this process (text exposition format 0.0.4)',
        description: 'HTTP latency and status, complaints by state, transitions by type, deadlines missed, timer lateness, ' +
          'queue depths and webhook delivery outcomes. Every metric is described in docs/operations.md.',
        security: [],
        response: {
          200: {
            description: 'The metrics, `text/plain; version=0.0.4`',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...publicProblemResponses(),
        },
      },
    }, async (_request, reply) => {
      const text = await metrics.text()
      return reply.header('cache-control', 'no-store').type(metrics.contentType).send(text)
    })
  },
  { name: 'metrics' },
)

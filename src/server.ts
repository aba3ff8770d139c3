import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import type { Config } from './config.js'
import type { Metrics } from './metrics/metrics.js'
import type { Runtime } from './runtime.js'

export async function startServer(config: Config, runtime: Runtime, logger: Logger, metrics?: Metrics): Promise<FastifyInstance> {
  const app = await buildApp({ config, db: runtime.db, redis: runtime.redis, logger, metrics })
  app.server.requestTimeout = 30_000
  app.server.headersTimeout = 10_000
  await app.listen({ host: config.HOST, port: config.PORT })
  return app
}

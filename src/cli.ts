import closeWithGrace from 'close-with-grace'
import type { Logger } from 'pino'
import { stringify } from 'yaml'
import { buildApp } from './app.js'
import { Metrics } from './metrics/metrics.js'
import { ConfigError, loadConfig, requireServerUrls, type Config, type LoadedConfig } from './config.js'
import { createDb } from './db/database.js'
import { startEmbeddedServices, type EmbeddedServices } from './embedded/services.js'
import { createLogger } from './logger.js'
import { openRuntime, prepareDatabase, type Runtime } from './runtime.js'
import { startServer } from './server.js'
import { startWorker } from './worker.js'

const USAGE = 'usage: cli.ts start | api | worker | migrate | openapi'
const UNUSED_DATABASE_URL = 'postgres://unused@127.0.0.1:1/unused'
const UNUSED_REDIS_URL = 'redis://127.0.0.1:1'

function configError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`)
    process.exit(78)
  }
  throw error
}

async function main(command: string | undefined): Promise<void> {
  let loaded: LoadedConfig
  try {
    loaded = loadConfig()
  } catch (error) {
    configError(error)
  }
  const logger = createLogger(command === 'openapi' ? 'silent' : loaded.LOG_LEVEL)
  if (!command || !['start', 'api', 'worker', 'migrate', 'openapi'].includes(command)) {
    process.stderr.write(`${USAGE}\n`)
    process.exit(64)
  }

  if (command === 'migrate') {
    // Only Postgres: migrating needs no Redis, embedded or not.
    const services = await startEmbeddedServices({ databaseUrl: loaded.DATABASE_URL, redisUrl: loaded.REDIS_URL, redis: false, logger })
    try {
      const db = createDb(services.databaseUrl, { max: 2 })
      try {
        await prepareDatabase({ ...loaded, DATABASE_URL: services.databaseUrl }, db, logger)
      } finally {
        await db.destroy()
      }
    } finally {
      await services.stop()
    }
    return
  }

  // `api` and `worker` are for production and need real servers; `start` starts the embedded ones for what is unset
  // (or `embedded`).
  let config: Config
  let services: EmbeddedServices | undefined
  if (command === 'api' || command === 'worker') {
    try {
      config = requireServerUrls(loaded, command)
    } catch (error) {
      configError(error)
    }
  } else if (command === 'openapi') {
    // The document needs no server: the app is built and read, never connected (connections are lazy).
    config = { ...loaded, DATABASE_URL: loaded.DATABASE_URL ?? UNUSED_DATABASE_URL, REDIS_URL: loaded.REDIS_URL ?? UNUSED_REDIS_URL }
  } else {
    services = await startEmbeddedServices({ databaseUrl: loaded.DATABASE_URL, redisUrl: loaded.REDIS_URL, logger })
    config = { ...loaded, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl as string }
  }

  let runtime: Runtime | undefined
  try {
    runtime = openRuntime(config, logger)
    await run(command, config, runtime, services, logger)
  } catch (error) {
    // What was started is stopped, so a failed boot leaves no server behind.
    await runtime?.close().catch(() => undefined)
    await services?.stop().catch((stopError: unknown) => logger.error({ err: stopError }, 'could not stop the embedded services'))
    throw error
  }
}

async function run(command: string, config: Config, runtime: Runtime, services: EmbeddedServices | undefined, logger: Logger): Promise<void> {
  if (command !== 'openapi' && !(await runtime.redisReady(5_000))) {
    logger.warn('redis is not reachable yet; deadlines are enqueued once it is (the reconciler re-arms them)')
  }

  if (command === 'openapi') {
    const app = await buildApp({ config, db: runtime.db, redis: runtime.redis, logger })
    await app.ready()
    process.stdout.write(stringify(app.swagger(), { lineWidth: 0 }))
    await app.close()
    await runtime.close()
    await services?.stop()
    return
  }
  if (command === 'start') await prepareDatabase(config, runtime.db, logger)

  // One process running both shares one registry, so GET /metrics on PORT shows the worker's counters too.
  const metrics = command === 'start' ? new Metrics({ db: runtime.db }) : undefined
  const api = command === 'start' || command === 'api' ? await startServer(config, runtime, logger, metrics) : undefined
  const worker = command === 'start' || command === 'worker' ? await startWorker(config, runtime, logger, { metrics }) : undefined

  closeWithGrace({ delay: 20_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error')
    else logger.info({ signal }, 'shutting down')
    await api?.close()
    await worker?.close()
    await runtime.close()
    // The embedded servers go last, once nothing uses them.
    await services?.stop()
  })
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`hotline: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

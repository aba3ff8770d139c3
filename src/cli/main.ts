import type { Logger } from 'pino'
import { ConfigError, loadConfig, requireServerUrls, type Config, type LoadedConfig } from '../config.js'
import { createDb, type Db } from '../db/database.js'
import { startEmbeddedServices, type EmbeddedServices } from '../embedded/services.js'
import { createLogger } from '../logger.js'
import { openRuntime, prepareDatabase, type Runtime } from '../runtime.js'
import { loadEnvFile } from './env-file.js'
import { migrateDownOne, migrationStatus } from './migrations.js'
import { usersCommand, UsageError, USERS_USAGE } from './users.js'
import { stopTracing } from '../tracing/boot.js'

// The app, the server, the worker and the demo seed are imported by the commands that run them (below): `users` and
// `migrate` load only what they use, which about halves the CPU a short command spends loading (docs/testing.md).

const USAGE = [
  'usage: hotline start | api | worker | migrate | openapi',
  '       hotline migrate status | down',
  USERS_USAGE.replace(/^/gm, '       '),
  '       hotline seed --demo',
].join('\n')
const COMMANDS = ['start', 'api', 'worker', 'migrate', 'openapi', 'users', 'seed']
const UNUSED_DATABASE_URL = 'postgres://unused@127.0.0.1:1/unused'
const UNUSED_REDIS_URL = 'redis://127.0.0.1:1'

function configError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`)
    process.exit(78)
  }
  throw error
}

async function main(command: string | undefined, args: string[]): Promise<void> {
  let loaded: LoadedConfig
  try {
    loadEnvFile()
    loaded = loadConfig()
  } catch (error) {
    configError(error)
  }
  const logger = createLogger(command === 'openapi' ? 'silent' : loaded.LOG_LEVEL)
  if (!command || !COMMANDS.includes(command)) usage()

  if (command === 'migrate' || command === 'users') {
    // Only Postgres: these need no Redis, embedded or not.
    await withDatabase(loaded, logger, async (db, databaseUrl) => {
      if (command === 'users') {
        await prepareDatabase({ ...loaded, DATABASE_URL: databaseUrl }, db, logger)
        print(await usersCommand(db, args))
      } else if (args[0] === 'status') {
        process.stdout.write(`${(await migrationStatus(db)).join('\n')}\n`)
      } else if (args[0] === 'down') {
        const undone = await migrateDownOne(db)
        process.stdout.write(undone ? `undid ${undone}\n` : 'no migration is applied\n')
      } else if (args.length === 0) {
        await prepareDatabase({ ...loaded, DATABASE_URL: databaseUrl }, db, logger)
      } else {
        throw new UsageError(`unknown migrate command ${args[0]}`)
      }
    })
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
    await run(command, config, runtime, services, logger, args)
  } catch (error) {
    // What was started is stopped, so a failed boot leaves no server behind.
    await runtime?.close().catch(() => undefined)
    await services?.stop().catch((stopError: unknown) => logger.error({ err: stopError }, 'could not stop the embedded services'))
    throw error
  }
}

async function run(command: string, config: Config, runtime: Runtime, services: EmbeddedServices | undefined, logger: Logger, args: string[]): Promise<void> {
  if (command !== 'openapi' && !(await runtime.redisReady(5_000))) {
    logger.warn('redis is not reachable yet; deadlines are enqueued once it is (the reconciler re-arms them)')
  }

  if (command === 'seed') {
    try {
      if (args.length !== 1 || args[0] !== '--demo') throw new UsageError('seed takes --demo (the only data set there is)')
      await prepareDatabase(config, runtime.db, logger)
      const { SeedRefused, seedDemo } = await import('./seed.js')
      print(await seedDemo({ config, db: runtime.db, redis: runtime.redis }).catch((error: unknown) => {
        throw error instanceof SeedRefused ? new Refused(error.message) : error
      }))
    } finally {
      await runtime.close()
      await services?.stop()
    }
    return
  }

  if (command === 'openapi') {
    const [{ buildApp }, { stringify }] = await Promise.all([import('../app.js'), import('yaml')])
    const app = await buildApp({ config, db: runtime.db, redis: runtime.redis, logger })
    await app.ready()
    process.stdout.write(stringify(app.swagger(), { lineWidth: 0 }))
    await app.close()
    await runtime.close()
    await services?.stop()
    return
  }
  if (command === 'start') await prepareDatabase(config, runtime.db, logger)

  const [{ Metrics }, { startServer }, { startWorker }, { default: closeWithGrace }] = await Promise.all([
    import('../metrics/metrics.js'), import('../server.js'), import('../worker.js'), import('close-with-grace'),
  ])
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
    // The embedded servers go last, once nothing uses them; the spans of the close are flushed with the rest.
    await services?.stop()
    await stopTracing()
  })
}

/** seed.ts's SeedRefused, rethrown as this so the exit code is known without importing seed.ts (and the app). */
class Refused extends Error {}

function usage(problem?: string): never {
  process.stderr.write(`${problem ? `hotline: ${problem}\n` : ''}${USAGE}\n`)
  process.exit(64)
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** The database of DATABASE_URL (an embedded one when it is unset), for the commands that need no Redis. */
async function withDatabase(loaded: LoadedConfig, logger: Logger, work: (db: Db, databaseUrl: string) => Promise<void>): Promise<void> {
  const services = await startEmbeddedServices({ databaseUrl: loaded.DATABASE_URL, redisUrl: loaded.REDIS_URL, redis: false, logger })
  try {
    const db = createDb(services.databaseUrl, { max: 2 })
    try {
      await work(db, services.databaseUrl)
    } finally {
      await db.destroy()
    }
  } finally {
    await services.stop()
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  if (error instanceof UsageError) usage(error.message)
  process.stderr.write(`hotline: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(error instanceof Refused ? 65 : 1)
})

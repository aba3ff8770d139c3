// `npm test`: runs tap against TEST_DATABASE_SERVER and TEST_REDIS_URL when they answer, and otherwise against an
// embedded Postgres / redis-server started here (data under the system's temp folder, kept between runs so the
// migrated template database is reused), stopped when tap is done. Arguments are passed on to tap; so is Ctrl-C.
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import { startEmbeddedPostgres } from '../src/embedded/postgres.js'
import { FolderInUseError } from '../src/embedded/process.js'
import { startEmbeddedRedis } from '../src/embedded/redis.js'
import { createLogger } from '../src/logger.js'

const DEFAULT_DATABASE_SERVER = 'postgres://postgres@127.0.0.1:5432'
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'
const PROBE_TIMEOUT_MS = 2_000

const root = path.resolve(import.meta.dirname, '..')
const logger = createLogger(process.env.TEST_SERVICES_LOG_LEVEL ?? 'info')
const base = path.join(os.tmpdir(), 'hotline-test-services')

async function postgresAnswers(serverUrl: string): Promise<boolean> {
  const url = new URL(serverUrl)
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: PROBE_TIMEOUT_MS })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function redisAnswers(redisUrl: string): Promise<boolean> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/** The shared folder, or (while another test run uses it) the next free one beside it. */
async function inFreeFolder<T>(name: string, start: (dir: string) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await start(path.join(`${base}${n === 1 ? '' : `-${n}`}`, name))
    } catch (error) {
      if (!(error instanceof FolderInUseError) || n >= 5) throw error
    }
  }
}

const stops: (() => Promise<void>)[] = []
async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0)) {
    await stop().catch((error: unknown) => logger.error({ err: error }, 'could not stop an embedded test service'))
  }
}

async function prepare(): Promise<NodeJS.ProcessEnv> {
  const env = { ...process.env }
  const databaseServer = env.TEST_DATABASE_SERVER || DEFAULT_DATABASE_SERVER
  const redisUrl = env.TEST_REDIS_URL || DEFAULT_REDIS_URL
  const [postgresUp, redisUp] = await Promise.all([postgresAnswers(databaseServer), redisAnswers(redisUrl)])
  if (postgresUp) {
    env.TEST_DATABASE_SERVER = databaseServer
  } else {
    logger.info('nothing answers at TEST_DATABASE_SERVER: the tests use an embedded Postgres')
    const postgres = await inFreeFolder('postgres', (dir) =>
      // Throwaway data: no fsync. Two test files at a time, each with its app's pool and workers.
      startEmbeddedPostgres({ dir, logger, durable: false, settings: { max_connections: 300 } }))
    stops.push(postgres.stop)
    env.TEST_DATABASE_SERVER = postgres.serverUrl
  }
  if (redisUp) {
    env.TEST_REDIS_URL = redisUrl
  } else {
    logger.info('nothing answers at TEST_REDIS_URL: the tests use an embedded redis-server')
    const redis = await inFreeFolder('redis', (dir) => startEmbeddedRedis({ dir, logger }))
    stops.push(redis.stop)
    env.TEST_REDIS_URL = redis.url
  }
  return env
}

let env: NodeJS.ProcessEnv
try {
  env = await prepare()
} catch (error) {
  await stopAll()
  process.stderr.write(`npm test: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}

const tap = spawn(path.join(root, 'node_modules', '.bin', 'tap'), process.argv.slice(2), { stdio: 'inherit', env })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (tap.exitCode === null && tap.signalCode === null) tap.kill(signal)
  })
}
tap.once('error', async (error) => {
  process.stderr.write(`npm test: could not run tap: ${error.message}\n`)
  await stopAll()
  process.exit(1)
})
tap.once('exit', async (code, signal) => {
  await stopAll()
  process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1))
})

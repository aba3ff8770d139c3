// The embedded default: DATABASE_URL / REDIS_URL unset (or `embedded`) means a Postgres and a Redis of our own,
// with their data under `.hotline/` in the working directory.
import path from 'node:path'
import type { Logger } from 'pino'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './postgres.js'
import { findOnPath, REDIS_SERVER_MISSING, startEmbeddedRedis, type EmbeddedRedis } from './redis.js'

export const EMBEDDED = 'embedded'
export const DEFAULT_DIR = '.hotline'
export const DEFAULT_DATABASE = 'hotline'

/** Unset, empty or `embedded`: the embedded service. */
export function isEmbedded(url: string | undefined): boolean {
  return url === undefined || url === '' || url === EMBEDDED
}

export interface EmbeddedServicesOptions {
  databaseUrl: string | undefined
  redisUrl: string | undefined
  /** Default `.hotline` in the working directory; Postgres under `postgres/`, Redis under `redis/`. */
  dir?: string
  logger: Logger
  /** The database named in the embedded DATABASE_URL (created by the migration step); default `hotline`. */
  database?: string
  /** false: Redis is not needed (`migrate`), so none is started even when REDIS_URL is unset. */
  redis?: boolean
}

export interface EmbeddedServices {
  /** The URL to use: the one given, or the embedded server's with the database name. */
  databaseUrl: string
  /** The URL to use: the one given, the embedded server's, or undefined when Redis was not asked for. */
  redisUrl: string | undefined
  postgres?: EmbeddedPostgres
  redis?: EmbeddedRedis
  /** Stops what was started, Postgres first then Redis. Safe to call again. */
  stop: () => Promise<void>
}

export async function startEmbeddedServices(options: EmbeddedServicesOptions): Promise<EmbeddedServices> {
  const { logger } = options
  const dir = path.resolve(options.dir ?? DEFAULT_DIR)
  const wantPostgres = isEmbedded(options.databaseUrl)
  const wantRedis = options.redis !== false && isEmbedded(options.redisUrl)
  // Said before anything starts: a missing redis-server should not cost an initdb first.
  if (wantRedis && !findOnPath('redis-server')) throw new Error(REDIS_SERVER_MISSING)

  const started: { stop: () => Promise<void> }[] = []
  const stop = async () => {
    // Every one is stopped even if one fails; the first failure is reported.
    let failure: unknown
    for (const service of started) {
      try {
        await service.stop()
      } catch (error) {
        failure ??= error
      }
    }
    if (failure !== undefined) throw failure
  }
  try {
    let postgres: EmbeddedPostgres | undefined
    let redis: EmbeddedRedis | undefined
    let databaseUrl = options.databaseUrl as string
    let redisUrl = options.redis === false ? undefined : options.redisUrl
    if (wantPostgres) {
      postgres = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), logger })
      started.push(postgres)
      const url = new URL(postgres.serverUrl)
      url.pathname = `/${encodeURIComponent(options.database ?? DEFAULT_DATABASE)}`
      databaseUrl = url.toString()
    }
    if (wantRedis) {
      redis = await startEmbeddedRedis({ dir: path.join(dir, 'redis'), logger })
      started.push(redis)
      redisUrl = redis.url
    }
    return { databaseUrl, redisUrl, postgres, redis, stop }
  } catch (error) {
    await stop().catch((stopError: unknown) => logger.error({ err: stopError }, 'could not stop the embedded services'))
    throw error
  }
}

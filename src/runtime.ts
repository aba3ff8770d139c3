import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { setUpCaches } from './cache/caches.js'
import { createDb, type Db } from './db/database.js'
import { ensureDatabase, migrateToLatest } from './db/migrate.js'
import { ensureBootstrapAdmin } from './auth/users.repository.js'
import { hashToken } from './auth/tokens.js'

export interface Runtime {
  db: Db
  redis: Redis
  /** Resolves true once Redis is connected, false if it is not within `ms` (the process goes on either way). */
  redisReady: (ms: number) => Promise<boolean>
  close: () => Promise<void>
}

/** Connections shared by the API and the workers of one process. */
export function openRuntime(config: Config, logger: Logger): Runtime {
  const db = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE, prepared: config.DATABASE_PREPARED_STATEMENTS })
  // The API and the workers of this process share the pool, and with it the caches and their invalidations.
  setUpCaches(db, { ttlMs: config.CACHE_TTL_MS })
  // The API must answer /readyz at once while Redis is away, so commands fail fast instead of queueing.
  const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false })
  let lastRedisError = ''
  redis.on('error', (error: Error) => {
    if (error.message !== lastRedisError) logger.warn({ err: error }, 'redis connection problem')
    lastRedisError = error.message
  })
  redis.on('ready', () => {
    lastRedisError = ''
  })
  const redisReady = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (redis.status === 'ready') return resolve(true)
      const timer = setTimeout(() => resolve(false), ms)
      redis.once('ready', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  return {
    db,
    redis,
    redisReady,
    close: async () => {
      redis.disconnect()
      await db.destroy()
    },
  }
}

export async function prepareDatabase(config: Pick<Config, 'DATABASE_URL' | 'HOTLINE_BOOTSTRAP_ADMIN_TOKEN'>, db: Db, logger: Logger): Promise<void> {
  if (await ensureDatabase(config.DATABASE_URL)) logger.info('created the database')
  const { results } = await migrateToLatest(db)
  for (const r of results ?? []) logger.info({ migration: r.migrationName, status: r.status }, 'migration')
  if (config.HOTLINE_BOOTSTRAP_ADMIN_TOKEN) {
    const admin = await ensureBootstrapAdmin(db, hashToken(config.HOTLINE_BOOTSTRAP_ADMIN_TOKEN))
    logger.info({ userId: admin.id }, 'bootstrap admin ready')
  }
}

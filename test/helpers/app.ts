import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { buildApp, type AppDependencies } from '../../src/app.js'
import { ensureBootstrapAdmin } from '../../src/auth/users.repository.js'
import { hashToken, newToken } from '../../src/auth/tokens.js'
import { createDb, type Db } from '../../src/db/database.js'
import type { UserRole } from '../../src/db/tables.js'
import { createLogger } from '../../src/logger.js'
import { reuseCompiledSchemas } from './compiled-schemas.js'
import { createTestDatabase } from './databases.js'

export interface TestUser {
  id: string
  token: string
  role: UserRole
}

export interface TestApp {
  app: FastifyInstance
  /** The BullMQ and pub/sub prefix of this test file: its queues are its own. */
  prefix: string
  databaseUrl: string
  db: Db
  redis: Redis
  logs: string[]
  admin: TestUser
  user: (role: UserRole, options?: { level?: number; compensationLimit?: number; teams?: string[]; name?: string }) => Promise<TestUser>
  call: (method: string, url: string, as: TestUser | null, body?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>
}

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** The BODY_LIMIT_BYTES the test app is built with. */
export const TEST_BODY_LIMIT = 262_144

export interface SetupOptions {
  logLevel?: string
  /** Runs on the built app before `ready()`: add routes or hooks a test needs. */
  extend?: (app: FastifyInstance) => void | Promise<void>
  /** Replaces the Redis client the app is given (the caller closes it); `redis` in the result stays the real one. */
  redis?: Redis
  /** Replaces the database the app is given (the caller closes it); `db` in the result stays the fresh real one. */
  db?: Db
  /** The app's clock for transitions (deadlines are computed from it). */
  clock?: () => Date
  /** More configuration for the app (say, the notification channels). */
  config?: Partial<AppDependencies['config']>
}

/** Builds the real app against a fresh Postgres database and the real Redis; everything is closed on teardown. */
export async function setupApp(t: Test, options: SetupOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const db = createDb(database.url, { max: 30 })
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk))
      done()
    },
  })
  const logger = createLogger(options.logLevel ?? 'info', sink)
  const prefix = `hotline-t-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  const app = await buildApp({
    config: { BODY_LIMIT_BYTES: TEST_BODY_LIMIT, DEFAULT_PHONE_COUNTRY: undefined, QUEUE_PREFIX: prefix, ...options.config },
    db: options.db ?? db,
    redis: options.redis ?? redis,
    logger,
    clock: options.clock,
  })
  reuseCompiledSchemas(app)
  await options.extend?.(app)
  await app.ready()
  t.teardown(async () => {
    await app.close()
    await deleteKeys(redis, `${prefix}:*`)
    redis.disconnect()
    await db.destroy()
    await database.drop()
  })

  const adminToken = newToken()
  const adminRow = await ensureBootstrapAdmin(db, hashToken(adminToken))
  const admin: TestUser = { id: adminRow.id, token: adminToken, role: 'admin' }

  const call = callerFor(app)

  const user: TestApp['user'] = async (role, opts = {}) => {
    const response = await call('POST', '/v1/users', admin, {
      name: opts.name ?? `${role} ${Math.random().toString(36).slice(2, 7)}`,
      role,
      ...(role === 'supervisor' ? { level: opts.level ?? 1 } : {}),
      ...(opts.compensationLimit === undefined ? {} : { compensationLimit: opts.compensationLimit }),
      ...(opts.teams ? { teams: opts.teams } : {}),
    })
    if (response.statusCode !== 201) throw new Error(`could not create ${role}: ${response.body}`)
    const created = response.json() as { id: string; token: string }
    return { id: created.id, token: created.token, role }
  }

  return { app, db, redis, logs, admin, user, call, prefix, databaseUrl: database.url }
}

/** `call(method, url, as, body, headers)` against one app: JSON bodies, the user's bearer token. */
export function callerFor(app: FastifyInstance): TestApp['call'] {
  return (method, url, as, body, headers = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { ...(as ? { authorization: `Bearer ${as.token}` } : {}), ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    })
}

export const aComplaint = (overrides: Record<string, unknown> = {}) => ({
  customer: { name: 'Li Wei', phone: '+86 138 0013 8000' },
  category: 'delivery',
  summary: 'Parcel arrived damaged',
  product: 'kettle',
  region: 'east',
  ...overrides,
})

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
}

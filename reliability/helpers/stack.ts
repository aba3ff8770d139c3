// One scenario's Hotline: its own database in the test's Postgres cluster, its own queue prefix in the test's Redis,
// a migrated schema with a bootstrap admin, and the real `api` and `worker` processes as children.
import { randomBytes, randomUUID } from 'node:crypto'
import pg from 'pg'
import { hashToken } from '../../src/auth/tokens.js'
import { ensureBootstrapAdmin } from '../../src/auth/users.repository.js'
import { createDb } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { request, type Answer, type RequestOptions } from './http.js'
import { freePort, OwnPostgres, OwnRedis, Proc, until } from './cluster.js'

export interface StackOptions {
  /** Extra environment for both children (RECONCILE_EVERY, WORKER_LOCK_MS, ...). */
  env?: Record<string, string>
}

export interface Staff {
  id: string
  token: string
}

export class Stack {
  api!: Proc
  worker!: Proc
  agent!: Staff
  supervisor!: Staff
  readonly pool: pg.Pool
  readonly adminToken = `reliab-admin-${randomBytes(12).toString('hex')}`

  private constructor(
    readonly cluster: OwnPostgres,
    readonly redis: OwnRedis,
    readonly databaseUrl: string,
    readonly port: number,
    readonly env: Record<string, string>,
  ) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 5_000 })
    // The cluster is stopped on purpose: an idle client losing its connection must not end the test.
    this.pool.on('error', () => {})
  }

  static async create(cluster: OwnPostgres, redis: OwnRedis, name: string, options: StackOptions = {}): Promise<Stack> {
    const databaseUrl = await cluster.createDatabase(`${name}_${randomBytes(3).toString('hex')}`)
    const port = await freePort()
    const stack = new Stack(cluster, redis, databaseUrl, port, {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      QUEUE_PREFIX: `reliab-${name}-${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
      RECONCILE_EVERY: 'PT2S',
      DATABASE_POOL_SIZE: '10',
      WORKER_CONCURRENCY: '16',
      ...options.env,
    })
    // Migrated and given its bootstrap admin in this process (what `cli.ts migrate` does): one child boot fewer.
    const db = createDb(databaseUrl, { max: 1 })
    try {
      const { error } = await migrateToLatest(db)
      if (error) throw error
      await ensureBootstrapAdmin(db, hashToken(stack.adminToken))
    } finally {
      await db.destroy()
    }
    await Promise.all([stack.startApi(), stack.startWorker()])
    stack.agent = await stack.user('agent', { compensationLimit: 100 })
    stack.supervisor = await stack.user('supervisor', { level: 3, compensationLimit: 10_000 })
    return stack
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`
  }

  call(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    return request(this.base, method, path, options)
  }

  async startApi(): Promise<Proc> {
    this.api = new Proc('api', this.env)
    const api = this.api
    await until(async () => {
      if (!api.alive) throw new Error(`api exited: ${api.output.slice(-10).join('\n')}`)
      return (await this.call('GET', '/healthz', { timeoutMs: 1_000 })).status === 200
    }, 150_000, 'the api to listen', 200)
    return api
  }

  /** The worker is up when its metrics server answers (it starts its queue workers right after). */
  async startWorker(): Promise<Proc> {
    const metricsPort = await freePort()
    this.worker = new Proc('worker', { ...this.env, WORKER_METRICS_PORT: String(metricsPort) })
    const worker = this.worker
    await until(async () => {
      if (!worker.alive) throw new Error(`worker exited: ${worker.output.slice(-10).join('\n')}`)
      return (await request(`http://127.0.0.1:${metricsPort}`, 'GET', '/metrics', { timeoutMs: 1_000 })).status === 200
    }, 150_000, 'the worker to start', 100)
    return worker
  }

  async user(role: 'agent' | 'supervisor', extra: Record<string, unknown>): Promise<Staff> {
    const answer = await this.call('POST', '/v1/users', { token: this.adminToken, body: { name: `${role} ${randomUUID().slice(0, 6)}`, role, ...extra } })
    if (answer.status !== 201) throw new Error(`could not create ${role}: ${answer.status} ${answer.text}`)
    const { id, token } = answer.json as Staff
    return { id, token }
  }

  async putPolicy(policy: Record<string, unknown>): Promise<void> {
    const answer = await this.call('PUT', '/v1/sla-policies', { token: this.adminToken, body: policy })
    if (answer.status !== 200) throw new Error(`PUT /v1/sla-policies answered ${answer.status}: ${answer.text}`)
  }

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows
  }

  /** Runs reads in one repeatable-read snapshot: the worker may commit between two plain queries. */
  async snapshot<T>(read: (query: <R extends pg.QueryResultRow>(text: string) => Promise<R[]>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    try {
      await client.query('begin isolation level repeatable read read only')
      const answer = await read(async <R extends pg.QueryResultRow>(text: string) => (await client.query<R>(text)).rows)
      await client.query('commit')
      return answer
    } finally {
      client.release()
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.api?.kill('SIGKILL'), this.worker?.kill('SIGKILL')])
    await this.pool.end().catch(() => {})
  }
}

/** A policy whose response deadlines fall due within seconds, and whose later deadlines lie an hour away. */
export function shortPolicy(response = 'PT6S') {
  const day: [string, string][] = [['00:00', '23:59']]
  return {
    calendar: { timezone: 'UTC', week: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day }, holidays: [] },
    response: { urgent: response, high: response, normal: response, low: response },
    businessHours: { urgent: false, high: false, normal: false, low: false },
    warnAt: 0.5,
    triage: 'PT1H',
    escalationAck: 'PT1H',
    escalationResponse: 'PT1H',
    followUpAfter: 'PT1H',
    followUpAttempts: 3,
    followUpRetry: 'PT1H',
    maxLevel: 3,
  }
}

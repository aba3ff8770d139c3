import { CamelCasePlugin, Kysely, PostgresDialect, type Transaction } from 'kysely'
import pg from 'pg'
import { DEFAULT_PREPARED_STATEMENTS, preparingClient } from './prepared.js'
import type { Database } from './tables.js'

// timestamptz as Date, numeric stays a string (parsed where precision matters), int8 counts as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10))

export type Db = Kysely<Database>
export type Trx = Transaction<Database>

/**
 * How long opening a connection may take. While Postgres is down or restarting, a request must fail fast (503
 * within 2 s, docs/operations.md) rather than hang: a refused connection fails at once, this bounds the rest.
 */
export const CONNECT_TIMEOUT_MS = 1_500
/** How long a request may wait for a pooled connection while all are busy: a saturated pool, not an outage. */
export const POOL_WAIT_MS = 10_000

/**
 * pg-pool uses one timeout for both; the client's own connect timeout (the shorter) bounds opening a connection. It
 * prepares up to `prepared` statements per connection (src/db/prepared.ts; 0: none, for a pooler that cannot keep them).
 */
function fastConnectClient(prepared: number): typeof pg.Client {
  const Base = preparingClient(prepared)
  return class FastConnectClient extends Base {
    constructor(config: pg.ClientConfig = {}) {
      super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS })
    }
  }
}

export function createDb(connectionString: string, options: { max?: number; prepared?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    Client: fastConnectClient(options.prepared ?? DEFAULT_PREPARED_STATEMENTS),
    connectionTimeoutMillis: POOL_WAIT_MS,
    idleTimeoutMillis: 30_000,
    // A statement stuck behind a lock must not hold a request forever.
    statement_timeout: 15_000,
  })
  const lost = new WeakSet<pg.Client>()
  // An idle client losing its connection emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', () => {})
  // A client checked out of the pool (in a transaction, between two statements) has no pool listener: when Postgres
  // terminates its connection (a restart: 57P01 admin_shutdown) it emits 'error' itself, and with no listener that
  // is an uncaught exception that took the whole process down. Its next statement fails instead (classified as
  // unavailable, src/http/unavailable.ts), and the pool drops the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {})
    // Postgres says it is ending the session (57P01 on a restart, class 08) a moment before it closes the socket, and
    // the statement fails before the client notices the close: released then, the client would go back to the pool
    // and fail the next request too. Marked here (this runs before the statement's rejection is seen), ended on release.
    client.connection.on('errorMessage', (message: { code?: string; message?: string }) => {
      if (message.code?.startsWith('57P') || message.code?.startsWith('08')) lost.add(client)
      // A prepared statement whose result columns changed under it (a migration added one): the connection is
      // replaced rather than kept failing; the request answers 503 and its retry runs on a fresh one.
      if ((message.code === '0A000' && /cached plan must not change result type/.test(message.message ?? '')) || message.code === '26000') lost.add(client)
    })
  })
  // 'release' is emitted before the pool decides to keep the client; an ending client is dropped.
  pool.on('release', (_error: Error | undefined, client: pg.PoolClient) => {
    if (lost.has(client)) void client.end().catch(() => undefined)
  })
  // Column names are camelCased; keys inside jsonb values are kept as written (the app writes them camelCase, and a
  // client's own keys in stored data are not rewritten), which also spares walking every nested object of a row.
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] })
}

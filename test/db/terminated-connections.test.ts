import { sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/database.js'
import { isUnavailable } from '../../src/http/unavailable.js'
import { createTestDatabase, withAdminClient } from '../helpers/databases.js'
import { waitFor } from '../helpers/worker.js'

// Postgres terminating a connection that the pool has lent out (pg_terminate_backend, as a restart does with 57P01)
// must fail that connection's next statement, not the process: before the fix the client emitted 'error' with no
// listener, an uncaught exception that tap reports here and that close-with-grace turned into an exit.
const database = await createTestDatabase()
const db = createDb(database.url, { max: 2 })
t.teardown(async () => {
  await db.destroy()
  await database.drop()
})

const terminate = (pid: number) => withAdminClient((c) => c.query('select pg_terminate_backend($1)', [pid]))
const gone = (pid: number) => withAdminClient(async (c) => (await c.query('select 1 from pg_stat_activity where pid = $1', [pid])).rowCount === 0)

t.test('a connection terminated between two statements of a transaction fails the transaction, not the process', async (t) => {
  const error = await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
    const pid = rows[0]!.pid
    await terminate(pid)
    // The backend is gone and its goodbye reached this process while no statement was running on it.
    await waitFor(() => gone(pid), 10_000, 'the backend to exit')
    await withAdminClient((c) => c.query('select 1'))
    return sql`select 1`.execute(trx).then(() => undefined, (e: unknown) => e)
  }).then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof Error, `the transaction failed: ${String(error)}`)
  t.ok(isUnavailable(error), 'and the failure is classified as Postgres unavailable (503, not 500)')
  const after = await sql<{ one: number }>`select 1 as one`.execute(db)
  t.equal(after.rows[0]!.one, 1, 'the pool hands out a fresh connection afterwards')
})

t.test('a connection terminated while its statement runs fails that statement with 57P01, classified unavailable', async (t) => {
  const error = await db.connection().execute(async (connection) => {
    const { rows: own } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(connection)
    const pid = own[0]!.pid
    const running = sql`select pg_sleep(30)`.execute(connection).then(() => undefined, (e: unknown) => e)
    await waitFor(() => withAdminClient(async (c) =>
      (await c.query(`select 1 from pg_stat_activity where pid = $1 and query like '%pg_sleep%'`, [pid])).rowCount === 1), 10_000, 'the statement to run')
    await terminate(pid)
    return running
  })
  t.match(error, { code: '57P01' }, 'terminating connection due to administrator command')
  t.ok(isUnavailable(error), 'classified as Postgres unavailable')
  const after = await sql<{ one: number }>`select 1 as one`.execute(db)
  t.equal(after.rows[0]!.one, 1, 'the pool recovers')
})

t.test('a refused connection is unavailable, and fails fast', async (t) => {
  const closed = createDb('postgres://postgres@127.0.0.1:1/none', { max: 1 })
  t.teardown(() => closed.destroy())
  const started = Date.now()
  const error = await sql`select 1`.execute(closed).then(() => undefined, (e: unknown) => e)
  t.ok(isUnavailable(error), `refused: ${String(error)}`)
  t.ok(Date.now() - started < 2_000, 'within 2 s')
})

t.test('errors that are the request\'s own are not unavailable', async (t) => {
  const error = await sql`select 1/0`.execute(db).then(() => undefined, (e: unknown) => e)
  t.match(error, { code: '22012' })
  t.notOk(isUnavailable(error), 'division by zero is a 500, not a 503')
  t.notOk(isUnavailable(new Error('boom')))
  t.notOk(isUnavailable('ECONNREFUSED'))
  t.ok(isUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' })), '57P03 cannot_connect_now')
  t.ok(isUnavailable(Object.assign(new Error('connection failure'), { code: '08006' })), 'class 08')
  t.ok(isUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })), 'a cause is looked through')
})

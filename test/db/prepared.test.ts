import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { createDb } from '../../src/db/database.js'
import { isUnavailable } from '../../src/http/unavailable.js'
import { createTestDatabase } from '../helpers/databases.js'

async function freshDatabase(t: Test) {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  return database.url
}

// The statements this connection holds prepared (the query itself has no parameters: a simple query, not prepared).
const preparedHere = (db: ReturnType<typeof createDb>) =>
  sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(db).then((r) => r.rows.map((row) => row.statement))

t.test('a connection prepares the statements it runs, up to its limit', async (t) => {
  const db = createDb(await freshDatabase(t), { max: 1, prepared: 2 })
  t.teardown(() => db.destroy())
  for (let round = 0; round < 3; round++) {
    await sql`select ${1}::int as a`.execute(db)
    await sql`select ${2}::int as b`.execute(db)
    await sql`select ${3}::int as c`.execute(db)
  }
  const held = await preparedHere(db)
  t.equal(held.length, 2, 'two statements held, the third runs unnamed')
  t.match(held[0], /as a/)
  t.match(held[1], /as b/)
  t.same((await sql<{ c: number }>`select ${3}::int as c`.execute(db)).rows, [{ c: 3 }], 'the one past the limit still runs')
})

t.test('statements without parameters (BEGIN, COMMIT) stay simple queries', async (t) => {
  const db = createDb(await freshDatabase(t), { max: 1, prepared: 10 })
  t.teardown(() => db.destroy())
  await db.transaction().execute(async (trx) => sql`select 1 as x`.execute(trx))
  await sql`select 2 as y`.execute(db)
  t.same(await preparedHere(db), [], 'none prepared')
})

t.test('a prepared statement the connection lost (26000) answers 503, and the retry runs on a fresh connection', async (t) => {
  const db = createDb(await freshDatabase(t), { max: 1 })
  t.teardown(() => db.destroy())
  const read = () => sql<{ n: number }>`select ${7}::int as n`.execute(db)
  t.same((await read()).rows, [{ n: 7 }])
  await sql`deallocate all`.execute(db)
  const error = await read().then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof Error && /prepared statement .* does not exist/.test(error.message), `the statement is gone: ${String(error)}`)
  t.ok(isUnavailable(error), 'classified as unavailable')
  t.same((await read()).rows, [{ n: 7 }], 'the retry prepares it again on a new connection')
})

t.test('DATABASE_PREPARED_STATEMENTS=0 prepares nothing', async (t) => {
  const db = createDb(await freshDatabase(t), { max: 1, prepared: 0 })
  t.teardown(() => db.destroy())
  await sql`select ${1}::int as a`.execute(db)
  await sql`select ${1}::int as a`.execute(db)
  t.same(await preparedHere(db), [])
})

t.test('a prepared statement whose result columns a migration changed: 503, and the next call runs on a fresh connection', async (t) => {
  const db = createDb(await freshDatabase(t), { max: 1 })
  t.teardown(() => db.destroy())
  await sql`create table widgets (id integer primary key)`.execute(db)
  await sql`insert into widgets values (1)`.execute(db)
  const read = () => db.selectFrom('widgets' as never).selectAll().where('id' as never, '=', 1 as never).execute()
  t.same(await read(), [{ id: 1 }])
  const before = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid
  await sql`alter table widgets add column size integer`.execute(db)
  const error = await read().then(() => undefined, (e: unknown) => e)
  t.ok(error instanceof Error && /cached plan must not change result type/.test(error.message), 'the stale plan fails')
  t.ok(isUnavailable(error), 'classified as unavailable: the request answers 503 and its retry succeeds')
  t.same(await read(), [{ id: 1, size: null }], 'the retry reads the new columns')
  const after = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid
  t.not(after, before, 'on a new connection')
})

import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../../src/db/migrate.js'
import { setupApp } from '../helpers/app.js'
import { databaseUrl, withAdminClient } from '../helpers/databases.js'

const exists = (name: string) =>
  withAdminClient(async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1)

t.test('a second migrateToLatest on a migrated database is a no-op', async (t) => {
  const { db } = await setupApp(t)
  const applied = () => sql<{ name: string }>`select name from kysely_migration order by name`.execute(db).then((r) => r.rows)
  const before = await applied()
  t.ok(before.length >= 1, 'the template is migrated')
  const result = await migrateToLatest(db)
  t.same(result.results, [], 'no migration ran')
  t.equal(result.error, undefined)
  t.same(await applied(), before)
  t.same(await migrateToLatest(db).then((r) => r.results), [], 'and again')
})

t.test('migrateToLatest builds the schema on an empty database', async (t) => {
  const name = `hotline_t_${process.pid}_mig_${randomBytes(3).toString('hex')}`
  t.teardown(() => withAdminClient((c) => c.query(`drop database if exists ${name} with (force)`)))
  t.equal(await ensureDatabase(databaseUrl(name)), true)
  const db = createDb(databaseUrl(name), { max: 2 })
  t.teardown(() => db.destroy())
  const result = await migrateToLatest(db)
  t.ok(result.results?.length, 'migrations ran')
  t.ok(result.results?.every((r) => r.status === 'Success'))
  const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public'`.execute(db)
  for (const table of ['users', 'customers', 'complaints', 'complaint_events', 'timers', 'idempotency_keys']) {
    t.ok(tables.rows.some((r) => r.tablename === table), `${table} exists`)
  }
})

t.test('ensureDatabase creates a missing database and keeps an existing one', async (t) => {
  const name = `hotline_t_${process.pid}_ens_${randomBytes(3).toString('hex')}`
  t.teardown(() => withAdminClient((c) => c.query(`drop database if exists ${name} with (force)`)))
  t.equal(await exists(name), false)
  t.equal(await ensureDatabase(databaseUrl(name)), true, 'created')
  t.equal(await exists(name), true)

  const db = createDb(databaseUrl(name), { max: 1 })
  t.teardown(() => db.destroy())
  await sql`create table marker (id int)`.execute(db)
  t.equal(await ensureDatabase(databaseUrl(name)), false, 'a second call is a no-op')
  const marker = await sql`select count(*)::int as n from marker`.execute(db)
  t.same(marker.rows, [{ n: 0 }], 'the existing database was kept as it was')

  // Names that need quoting are quoted, not interpolated.
  const odd = `hotline_t_${process.pid}_Odd-${randomBytes(3).toString('hex')}`
  t.teardown(() => withAdminClient((c) => c.query(`drop database if exists "${odd}" with (force)`)))
  t.equal(await ensureDatabase(databaseUrl(odd)), true)
  t.equal(await exists(odd), true)
  t.equal(await ensureDatabase(databaseUrl(odd)), false)
})

import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator, sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/database.js'
import { ensureDatabase, MIGRATIONS_FOLDER } from '../../src/db/migrate.js'
import { searchComplaints } from '../../src/search/complaint-search.js'
import { databaseUrl, withAdminClient } from '../helpers/databases.js'

// Migration 0025 makes the search rows of the complaints that exist before it (with their notes and customer names).
t.test('complaints written before the search migration are searchable after it', async (t) => {
  const name = `hotline_t_${process.pid}_search_${randomBytes(3).toString('hex')}`
  t.teardown(() => withAdminClient((c) => c.query(`drop database if exists ${name} with (force)`)))
  await ensureDatabase(databaseUrl(name))
  const db = createDb(databaseUrl(name), { max: 2 })
  t.teardown(() => db.destroy())
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }) })
  const names = (await migrator.getMigrations()).map((m) => m.name)
  const before = names[names.indexOf('2026-11-28T0025_search') - 1]!
  t.notOk((await migrator.migrateTo(before)).error, `migrated to ${before}`)

  await sql`insert into customers (id, name, phone) values ('00000000-0000-4000-8000-000000000001', '李小龙', '+8613800000001')`.execute(db)
  await sql`
    insert into complaints (id, reference, state, channel, customer_id, category, severity, summary, description,
      machine_version, machine_snapshot, version, created_at, updated_at)
    values ('00000000-0000-4000-8000-000000000002', 'C-20261101-000427', 'logged', 'phone', '00000000-0000-4000-8000-000000000001',
      'delivery', 'normal', '快递员态度差', 'Courier threw the parcel', 'complaint@1', '{"value": "logged"}', 2, now(), now())`.execute(db)
  await sql`
    insert into complaint_events (complaint_id, seq, type, actor_role, data)
    values ('00000000-0000-4000-8000-000000000002', 1, 'complaint.received', 'agent', '{}'),
      ('00000000-0000-4000-8000-000000000002', 2, 'complaint.note_added', 'agent', '{"text": "仓库已确认"}')`.execute(db)

  const migrated = await migrator.migrateToLatest()
  t.notOk(migrated.error, 'the search migration and those after it ran')
  for (const q of ['快递', '快', 'cour', '0427', '小龙', '仓库']) {
    const { rows } = await searchComplaints(db, q, [], { limit: 10 })
    t.same(rows.map((r) => r.id), ['00000000-0000-4000-8000-000000000002'], `${q} finds it`)
  }
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from complaint_search`.execute(db)
  t.equal(rows[0]!.n, 1, 'one search row')
})

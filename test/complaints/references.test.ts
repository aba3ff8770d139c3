import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator, sql } from 'kysely'
import t from 'tap'
import { ReferenceAllocator, REFERENCE_BLOCK } from '../../src/complaints/references.js'
import { createDb } from '../../src/db/database.js'
import { ensureDatabase, migrateToLatest, MIGRATIONS_FOLDER } from '../../src/db/migrate.js'
import { setupApp } from '../helpers/app.js'
import { databaseUrl, withAdminClient } from '../helpers/databases.js'

const NOW = new Date('2026-11-27T10:00:00Z')

t.test('two processes hand out distinct references, one sequence call per block', async (t) => {
  const { db } = await setupApp(t)
  const [a, b] = [new ReferenceAllocator(db), new ReferenceAllocator(db)]
  const calls = async () => Number((await sql<{ n: string }>`select last_value as n from complaint_reference_seq`.execute(db)).rows[0]!.n)
  const given = await Promise.all(Array.from({ length: 3 * REFERENCE_BLOCK }, (_, i) => (i % 2 === 0 ? a : b).reference(NOW)))
  t.equal(new Set(given).size, given.length, `${given.length} references, all distinct`)
  t.ok(given.every((r) => /^C-20261127-\d{6}$/.test(r)), 'each is C-YYYYMMDD-NNNNNN')
  const last = await calls()
  // 300 references from two allocators: two blocks each at most (a concurrent first call shares one refill).
  t.ok(last <= 1 + 3 * REFERENCE_BLOCK, `the sequence moved by whole blocks only (last value ${last})`)
  t.equal((await a.reference(new Date('2026-11-28T00:00:01Z'))).slice(0, 11), 'C-20261128-', 'the day is the UTC day of the intake')
})

t.test('the migration starts the sequence above every number the daily counters gave out', async (t) => {
  const name = `hotline_t_${process.pid}_ref_${randomBytes(3).toString('hex')}`
  t.teardown(() => withAdminClient((c) => c.query(`drop database if exists ${name} with (force)`)))
  await ensureDatabase(databaseUrl(name))
  const db = createDb(databaseUrl(name), { max: 2 })
  t.teardown(() => db.destroy())
  // Up to the migration before the sequence, with counters as the old code left them.
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }) })
  t.equal((await migrator.migrateTo('2026-11-27T0007_repair_policies')).error, undefined)
  await sql`insert into reference_counters (day, last) values ('2026-11-26', 41), ('2026-11-27', 7342)`.execute(db)
  t.equal((await migrateToLatest(db)).error, undefined)
  const first = await new ReferenceAllocator(db).reference(NOW)
  t.equal(first, 'C-20261127-007343', 'the next number is above the highest counter')
})

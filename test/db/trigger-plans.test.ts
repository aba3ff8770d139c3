import { sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/database.js'
import { createTestDatabase } from '../helpers/databases.js'

// Migration 0030: a PL/pgSQL function's statements are planned for each call, never from a generic plan cached while
// the tables were small. A function (re)defined later without the setting fails here.
t.test('every PL/pgSQL function plans its statements for each call', async (t) => {
  const database = await createTestDatabase()
  const db = createDb(database.url, { max: 1 })
  t.teardown(async () => {
    await db.destroy()
    await database.drop()
  })
  const { rows } = await sql<{ name: string; config: string[] | null }>`
    select p.oid::regprocedure::text as name, p.proconfig as config from pg_proc p join pg_language l on l.oid = p.prolang
    where p.pronamespace = 'public'::regnamespace and l.lanname = 'plpgsql'`.execute(db)
  t.ok(rows.length >= 5, `${rows.length} functions`)
  for (const row of rows) t.ok(row.config?.includes('plan_cache_mode=force_custom_plan'), `${row.name}: ${row.config?.join(', ') ?? 'no settings'}`)
})

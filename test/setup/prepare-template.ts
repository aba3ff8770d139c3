// Runs once before the test files (tap `before`): migrates a template database that every test file copies.
import { createDb } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { databaseUrl, TEMPLATE_DB, withAdminClient } from '../helpers/databases.js'

await withAdminClient(async (client) => {
  const stale = await client.query(`select datname from pg_database where datname like 'hotline_t\\_%'`)
  for (const row of stale.rows as { datname: string }[]) {
    await client.query(`drop database if exists ${row.datname} with (force)`)
  }
  await client.query(`drop database if exists ${TEMPLATE_DB} with (force)`)
  await client.query(`create database ${TEMPLATE_DB}`)
})
const db = createDb(databaseUrl(TEMPLATE_DB), { max: 1 })
try {
  await migrateToLatest(db)
} finally {
  await db.destroy()
}

// Runs once before the test files (tap `before`): makes sure the migrated template database exists.
import { createDb } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { databaseUrl, dropOrphanDatabases, TEMPLATE_DB, withAdminClient } from '../helpers/databases.js'

await withAdminClient(async (client) => {
  // Two test runs at once: one builds the template, the other waits for it.
  await client.query('select pg_advisory_lock(872341)')
  try {
    await dropOrphanDatabases(client)
    const found = await client.query('select 1 from pg_database where datname = $1', [TEMPLATE_DB])
    if (found.rowCount) return
    const building = `${TEMPLATE_DB}_building`
    await client.query(`drop database if exists ${building} with (force)`)
    await client.query(`create database ${building}`)
    const db = createDb(databaseUrl(building), { max: 1 })
    try {
      await migrateToLatest(db)
    } finally {
      await db.destroy()
    }
    await client.query(`alter database ${building} rename to ${TEMPLATE_DB}`)
  } finally {
    await client.query('select pg_advisory_unlock(872341)')
  }
})

import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely'
import pg from 'pg'
import type { Db } from './database.js'

export const MIGRATIONS_FOLDER = path.resolve(import.meta.dirname, '../../migrations')

/** Creates the database named in the URL when it does not exist (and the server lets us). */
export async function ensureDatabase(connectionString: string): Promise<boolean> {
  const url = new URL(connectionString)
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (!name) return false
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount) return false
    try {
      await client.query(`create database ${pg.escapeIdentifier(name)}`)
    } catch (error) {
      // Two processes booting at once: the other one created it first.
      // 42P04, or 23505 when the catalog's unique index sees the race first.
      const code = (error as { code?: string }).code
      if (code !== '42P04' && code !== '23505') throw error
      return false
    }
    return true
  } finally {
    await client.end()
  }
}

export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }),
  })
  const result = await migrator.migrateToLatest()
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName
    throw new Error(`migration ${failed ?? '(unknown)'} failed: ${String(result.error)}`, { cause: result.error })
  }
  return result
}

import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator } from 'kysely'
import type { Db } from '../db/database.js'
import { MIGRATIONS_FOLDER } from '../db/migrate.js'

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }) })
}

/** Every migration, applied (with when) or pending, oldest first: one line each. */
export async function migrationStatus(db: Db): Promise<string[]> {
  const migrations = await migrator(db).getMigrations()
  return migrations.map((m) => `${m.executedAt ? `applied ${m.executedAt.toISOString()}` : 'pending                          '}  ${m.name}`)
}

/** Undoes the latest applied migration; answers its name, or undefined when none is applied. */
export async function migrateDownOne(db: Db): Promise<string | undefined> {
  const { error, results } = await migrator(db).migrateDown()
  const result = results?.[0]
  if (error) throw new Error(`undoing ${result?.migrationName ?? 'the latest migration'} failed: ${String(error)}`, { cause: error })
  return result?.migrationName
}

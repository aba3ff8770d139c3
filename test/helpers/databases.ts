import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.js'

export const SERVER_URL = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432'

/** The template is named after the migrations it holds, so runs at once (or after a change) never clash. */
export const TEMPLATE_DB = `hotline_tpl_${createHash('sha256')
  .update(readdirSync(MIGRATIONS_FOLDER).sort().map((f) => f + readFileSync(path.join(MIGRATIONS_FOLDER, f), 'utf8')).join('\n'))
  .digest('hex')
  .slice(0, 12)}`

export function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL)
  url.pathname = `/${name}`
  return url.toString()
}

export async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A fresh database per test file, copied from the migrated template: tests never see each other's rows. */
export async function createTestDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `hotline_t_${process.pid}_${randomBytes(4).toString('hex')}`
  await withAdminClient((c) => c.query(`create database ${name} template ${TEMPLATE_DB}`))
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdminClient((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Drops the databases left by test processes that died before their teardown. */
export async function dropOrphanDatabases(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where datname like 'hotline\\_t\\_%'`)
  for (const { datname } of rows) {
    const pid = Number(datname.split('_')[2])
    if (!alive(pid)) await client.query(`drop database if exists ${datname} with (force)`)
  }
}

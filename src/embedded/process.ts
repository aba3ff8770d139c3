// Helpers shared by the embedded Postgres and Redis launchers: free ports, process checks, a folder's owner file.
import { spawn } from 'node:child_process'
import { promises as fs, readFileSync, readlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'

/** Ports the embedded services never take: the usual ones belong to servers the machine may already run. */
const RESERVED_PORTS = new Set([5432, 6379])

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.unref()
      server.once('error', reject)
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const address = server.address()
        const found = typeof address === 'object' && address ? address.port : 0
        server.close(() => resolve(found))
      })
    })
    if (port > 0 && !RESERVED_PORTS.has(port)) return port
  }
}

/** Whether a process runs (a zombie, exited but not yet reaped by its parent, does not). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return !hasProc()
  }
}

/** The kernel's start time of a process (Linux), so a recycled pid is not taken for the process that wrote a file. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22, counted after the command name in parentheses (which may itself hold spaces or parentheses).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/**
 * What a live process runs: its command line, and its working directory where /proc tells (Linux, same user or
 * root; elsewhere `ps` gives the command line only).
 */
export async function describeProcess(pid: number): Promise<{ command?: string; cwd?: string }> {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
    let cwd: string | undefined
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`)
    } catch {
      cwd = undefined
    }
    return { command, cwd }
  } catch {
    if (hasProc()) return {}
  }
  try {
    const ps = await run('ps', ['-o', 'command=', '-p', String(pid)])
    return ps.code === 0 ? { command: ps.stdout.trim() } : {}
  } catch {
    return {}
  }
}

export function hasProc(): boolean {
  try {
    readFileSync('/proc/self/stat')
    return true
  } catch {
    return false
  }
}

/** Polls `check` until it answers true; throws `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

export interface RunAs {
  uid: number
  gid: number
  name: string
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to its end; rejects only when it cannot be started. */
export function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; runAs?: RunAs } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The last non-empty line of some output, for a one-line error. */
export function lastLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).pop() ?? ''
}

/** The last lines of a log file, or '' when it cannot be read. */
/** A log file's size now (0 while it does not exist): what a start wrote is read from there on. */
export async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size
  } catch {
    return 0
  }
}

export async function tail(file: string, lines = 5): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).slice(-lines).join(' | ')
  } catch {
    return ''
  }
}

export class FolderInUseError extends Error {
  override name = 'FolderInUseError'
}

interface Owner {
  pid: number
  started?: string
}

/**
 * Claims a service folder for this process: the file `owner.json` names the process that runs the service, so a
 * second process never stops a service that a live one uses, while a service left by a killed process (its owner
 * is gone, or its pid now belongs to another process) counts as an orphan. Returns the release function.
 */
export async function claimFolder(dir: string, what: string): Promise<() => Promise<void>> {
  const file = path.join(dir, 'owner.json')
  const me: Owner = { pid: process.pid, started: startTimeOf(process.pid) }
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written aside and linked into place: a reader never sees a half-written file, and of two processes only one
    // link succeeds.
    const mine = `${file}.${process.pid}`
    await fs.writeFile(mine, JSON.stringify(me), { mode: 0o644 })
    try {
      await fs.link(mine, file)
      return async () => {
        const current = await readOwner(file)
        if (current?.pid === me.pid) await fs.rm(file, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      await fs.rm(mine, { force: true })
    }
    const owner = await readOwner(file)
    if (owner && owner.pid !== process.pid && isAlive(owner.pid) && (owner.started === undefined || owner.started === startTimeOf(owner.pid))) {
      throw new FolderInUseError(`the ${what} in ${dir} is in use by process ${owner.pid}: stop it first, or use another folder`)
    }
    await fs.rm(file, { force: true })
  }
  throw new FolderInUseError(`could not claim ${dir} for the ${what}: another process keeps claiming it`)
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<Owner>
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, started: parsed.started } : undefined
  } catch {
    return undefined
  }
}

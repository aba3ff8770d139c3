// An embedded Redis: the `redis-server` found on PATH (no npm package ships one), with its data in a folder of ours.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, promises as fs } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import type { Logger } from 'pino'
import { claimFolder, describeProcess, fileSize, freePort, isAlive, lastLine, tail, waitFor } from './process.js'

export const REDIS_SERVER_MISSING =
  'redis-server not found on PATH: install Redis (apt-get install redis-server, brew install redis) or set REDIS_URL'

export interface EmbeddedRedisOptions {
  /** The folder of this server: the append-only files, `redis.pid`, `redis.log`. Created when missing. */
  dir: string
  logger: Logger
  /** Where to look for redis-server; default the PATH of this process. */
  searchPath?: string
}

export interface EmbeddedRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string
  port: number
  dir: string
  /** Shuts the server down (the append-only file is flushed) and waits until it has exited. Safe to call again. */
  stop: () => Promise<void>
}

/** The first executable `name` in the folders of a PATH-like string. */
export function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const folder of searchPath.split(path.delimiter)) {
    if (!folder) continue
    const candidate = path.join(folder, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not here.
    }
  }
  return undefined
}

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const { logger } = options
  const binary = findOnPath('redis-server', options.searchPath)
  if (!binary) throw new Error(REDIS_SERVER_MISSING)
  const dir = path.resolve(options.dir)
  // The folders above it keep the usual mode (as root, the server's user must pass through them); its own is 0700.
  await fs.mkdir(path.dirname(dir), { recursive: true })
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const pidFile = path.join(dir, 'redis.pid')
  const portFile = path.join(dir, 'redis.port')
  const logFile = path.join(dir, 'redis.log')

  const release = await claimFolder(dir, 'embedded Redis')
  try {
    await stopOrphan(dir, pidFile, portFile, logger)
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const before = await fileSize(logFile)
      const child = spawn(binary, [
        '--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction',
        '--save', '', '--pidfile', pidFile, '--logfile', logFile, '--daemonize', 'no', '--protected-mode', 'yes',
      ], {
        cwd: dir,
        // Its own session: a Ctrl-C in the terminal reaches the service, which then stops Redis after draining.
        detached: true,
        stdio: 'ignore',
      })
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      let gone = false
      void exited.then(() => (gone = true))
      const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))
      let failure: Error | undefined
      void spawnError.then((error) => (failure = error))
      try {
        await waitFor(async () => gone || failure !== undefined || (await answersPing(port)), `redis-server on port ${port}`, 60_000)
      } catch (error) {
        child.kill('SIGKILL')
        throw error
      }
      if (failure) throw new Error(`redis-server could not be started: ${failure.message}`)
      if (gone) {
        const log = await tailSince(logFile, before)
        if (attempt < 3 && /address already in use|could not create server tcp listening socket/i.test(log)) continue
        throw new Error(`the embedded Redis did not start: ${lastLine(log) || 'redis-server exited'} (see ${logFile})`)
      }
      child.unref()
      await fs.writeFile(portFile, `${port}\n`)
      logger.info({ port, dir }, 'embedded redis ready')

      let stopping: Promise<void> | undefined
      const stop = () =>
        (stopping ??= (async () => {
          await stopChild(child, exited)
          await release()
          logger.info({ port }, 'embedded redis stopped')
        })())
      return { url: `redis://127.0.0.1:${port}`, port, dir, stop }
    }
  } catch (error) {
    await release()
    throw error
  }
}

/** Whether a Redis answers PING on 127.0.0.1:port (not while it is still loading its data: that answers -LOADING). */
export function answersPing(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host })
    let answer = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'))
    })
  })
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.ref() // unref'd while it ran; now the process must live until Redis has exited
  child.kill('SIGTERM') // Redis shuts down as SHUTDOWN would: the append-only file is flushed first.
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 30_000, 'timeout').unref())
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL')
    await exited
  }
}

/**
 * A run killed with SIGKILL leaves its redis-server running (in a session of its own) and its pid file. A process
 * named in the pid file that is that server (a redis-server working in this folder, or where /proc cannot tell, a
 * redis-server on the port we recorded) is shut down with SIGTERM; anything else named there is left alone.
 */
async function stopOrphan(dir: string, pidFile: string, portFile: string, logger: Logger): Promise<void> {
  let pid: number
  try {
    pid = Number((await fs.readFile(pidFile, 'utf8')).trim())
  } catch {
    return
  }
  if (isAlive(pid)) {
    const { command, cwd } = await describeProcess(pid)
    const real = await fs.realpath(dir)
    const port = (await fs.readFile(portFile, 'utf8').catch(() => '')).trim()
    const ours = command !== undefined && command.includes('redis-server') && (cwd !== undefined ? cwd === real : port !== '' && command.includes(`:${port}`))
    if (ours) {
      logger.warn({ serverPid: pid }, 'stopping an embedded redis left running by an earlier run')
      process.kill(pid, 'SIGTERM')
      try {
        await waitFor(() => !isAlive(pid), `the old embedded redis (pid ${pid}) to exit`, 30_000)
      } catch {
        process.kill(pid, 'SIGKILL')
        await waitFor(() => !isAlive(pid), `the old embedded redis (pid ${pid}) to exit`, 10_000)
      }
    }
  }
  await fs.rm(pidFile, { force: true })
}

async function tailSince(file: string, offset: number): Promise<string> {
  try {
    const text = (await fs.readFile(file)).subarray(offset).toString('utf8').trim()
    return text.split('\n').slice(-3).join('\n')
  } catch {
    return tail(file, 3)
  }
}

// Boot benchmark (issue 9): how long `node dist/src/cli.js start` takes to answer /readyz, and how long the first
// request after that takes, over fresh starts of the compiled service. Run: npm run bench:boot
//   BENCH_BOOT_RUNS (default 5)      fresh starts per mode
//   BENCH_BOOT_MODES (default "explicit,embedded")
//     explicit: DATABASE_URL and REDIS_URL point at the local services (its own database hotline_bench_boot,
//               recreated before the first start, so start 1 also creates and migrates it; Redis database 14)
//     embedded: neither URL set: the embedded Postgres and redis-server under a temporary .hotline/ folder (the
//               first start runs initdb; later starts reuse the folder)
// Run `npm run build` first (the script does): it measures the compiled code, as production runs it.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

const ROOT = new URL('..', import.meta.url).pathname
const RUNS = Number(process.env.BENCH_BOOT_RUNS ?? 5)
const MODES = (process.env.BENCH_BOOT_MODES ?? 'explicit,embedded').split(',')
const SERVER = process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432'
const TOKEN = 'bench-boot-admin-token-0001'
const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready`)
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

async function oneStart(env: NodeJS.ProcessEnv, cwd: string): Promise<{ readyMs: number; firstMs: number }> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), 'start'], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, PORT: String(port), LOG_LEVEL: 'warn', HOTLINE_BOOTSTRAP_ADMIN_TOKEN: TOKEN },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    await waitReady(base, child)
    const readyMs = performance.now() - started
    const before = performance.now()
    const response = await fetch(`${base}/v1/complaints?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } })
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`first request answered ${response.status}`)
    return { readyMs, firstMs: performance.now() - before }
  } finally {
    await stop(child)
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function main() {
  log(`node ${process.versions.node}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${RUNS} starts per mode`)
  const rows: string[] = []
  for (const mode of MODES) {
    let env: NodeJS.ProcessEnv
    let cwd = ROOT
    let cleanup = () => {}
    if (mode === 'explicit') {
      const admin = new pg.Client({ connectionString: new URL('/postgres', SERVER).toString() })
      await admin.connect()
      await admin.query('drop database if exists hotline_bench_boot with (force)')
      await admin.end()
      env = { DATABASE_URL: new URL('/hotline_bench_boot', SERVER).toString(), REDIS_URL: 'redis://127.0.0.1:6379/14', QUEUE_PREFIX: 'hotline-bench-boot' }
    } else if (mode === 'embedded') {
      // A folder every user can traverse: under root, the embedded Postgres runs as an unprivileged user.
      cwd = mkdtempSync(path.join(os.tmpdir(), 'hotline-bench-boot-'))
      chmodSync(cwd, 0o755) // mkdtemp makes it 0700: the unprivileged user Postgres runs as must enter it
      env = {}
      cleanup = () => rmSync(cwd, { recursive: true, force: true })
    } else {
      throw new Error(`unknown mode ${mode}`)
    }
    const runs: { readyMs: number; firstMs: number }[] = []
    try {
      for (let i = 0; i < RUNS; i++) {
        const run = await oneStart(env, cwd)
        log(`${mode} start ${i + 1}: ready in ${run.readyMs.toFixed(0)} ms, first request ${run.firstMs.toFixed(1)} ms`)
        runs.push(run)
      }
    } finally {
      cleanup()
    }
    rows.push(`| ${mode} | ${runs[0]!.readyMs.toFixed(0)} ms | ${median(runs.map((r) => r.readyMs)).toFixed(0)} ms | ` +
      `${median(runs.map((r) => r.firstMs)).toFixed(1)} ms |`)
  }
  process.stdout.write([`| mode | first start ready | ready (median of ${RUNS}) | first request after ready (median of ${RUNS}) |`,
    '| --- | --- | --- | --- |', ...rows].join('\n') + '\n')
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.stack ?? error.message : String(error))
  process.exit(1)
})

// Load benchmark (issue 11): Hotline against the floor (bench/floor.ts) on the same work, alternated, at several
// connection counts. Run: npm run bench   (it builds dist/ first; Hotline runs compiled, as in production)
//   BENCH_DURATION      seconds per measured run (default 10)
//   BENCH_CONNECTIONS   comma-separated (default "16,64")
//   BENCH_ROUNDS        alternated rounds per figure; the median is reported (default 3)
//   BENCH_PROFILE_DIR   write Hotline's CPU profile (--cpu-prof) into this directory when it stops
//   BENCH_WORK          comma-separated subset of intake,read,resolve (default all three; read and resolve use what
//                       intake created, so keep intake in the list)
//   BENCH_TARGETS       comma-separated subset of floor,hotline (default both; one alone to profile it)
//   BENCH_TEMPLATE_DB   a database to copy Hotline's from (default: hotline_bench_list or hotline_bench_reports, the
//                       1,000,000 complaints of `npm run bench:list` or `npm run bench:reports`, whichever exists;
//                       otherwise Hotline starts on an empty database and the output says so: its tables then grow
//                       during the run without statistics, which is not what a production database looks like)
// Hotline gets its own database (hotline_bench_load, recreated) and the floor its own (hotline_bench_floor); both use
// Redis database 13 (flushed first). Loopback only; every run is bounded in time and count.
import autocannon from 'autocannon'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import { admin, freePort, log, median, ROOT, SERVER, start, stop, waitReady } from './lib/processes.js'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13'
const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '16,64').split(',').map(Number)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const WORK = (process.env.BENCH_WORK ?? 'intake,read,resolve').split(',') as Work[]
const TARGETS = (process.env.BENCH_TARGETS ?? 'floor,hotline').split(',') as Target[]
// The 1,000,000 complaints of `npm run bench:list` or `npm run bench:reports`, whichever exists (in that order).
const TEMPLATES = process.env.BENCH_TEMPLATE_DB ? [process.env.BENCH_TEMPLATE_DB] : ['hotline_bench_list', 'hotline_bench_reports']
const TOKEN = 'bench-load-admin-token-0001'

type Target = 'floor' | 'hotline'
type Work = 'intake' | 'read' | 'resolve'
interface Figure { rps: number; p50: number; p99: number; errors: number }

const intakeBody = (i: number) => JSON.stringify({
  customer: { name: `Bench ${i}`, phone: `+86 138 ${String(i % 10_000).padStart(4, '0')} ${String(i % 9_999).padStart(4, '0')}` },
  category: 'delivery', summary: 'Kettle arrived with a cracked lid', product: 'kettle', region: 'east',
})

/** One measured run; `ids` feeds read and resolve and collects what intake created. */
async function measure(base: string, prefix: string, auth: Record<string, string>, work: Work, connections: number, ids: string[]): Promise<Figure> {
  let n = 0
  let reported = false
  const headers = { 'content-type': 'application/json', ...auth }
  const pool = work === 'resolve' ? ids.splice(0) : ids
  const options: autocannon.Options = {
    url: base, connections, duration: DURATION, headers,
    requests: [{
      method: work === 'read' ? 'GET' : 'POST',
      setupRequest: (request) => {
        const i = n++
        if (work === 'intake') return { ...request, path: `${prefix}/complaints`, body: intakeBody(i) }
        const id = work === 'read' ? pool[i % pool.length] : pool[i]
        return { ...request, path: work === 'read' ? `${prefix}/complaints/${id}` : `${prefix}/complaints/${id}/resolve`,
          body: work === 'resolve' ? JSON.stringify({ summary: 'Replacement lid sent' }) : undefined }
      },
      onResponse: (status, body) => {
        if (work === 'intake' && status === 201) ids.push((JSON.parse(body) as { id: string }).id)
        if (status >= 400 && !reported) {
          reported = true
          log(`${work} at ${base}: first refusal ${status} ${body.slice(0, 300)}`)
        }
      },
    }],
  }
  // A resolve needs a complaint still logged: never more requests than the pool holds.
  if (work === 'resolve') {
    options.amount = pool.length
    // autocannon refuses more connections than requests.
    options.connections = Math.min(connections, pool.length)
  }
  if (pool.length === 0 && work !== 'intake') return { rps: 0, p50: 0, p99: 0, errors: 0 }
  const result = await autocannon(options)
  const seconds = Math.max(0.001, result.duration)
  return { rps: (result.requests.total - result.non2xx - result.errors) / seconds, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors }
}

async function main() {
  log(`node ${process.versions.node}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}; ${DURATION} s per run, ${ROUNDS} rounds, connections ${CONNECTIONS.join(', ')}`)
  const found = await admin(async (c) => (await c.query<{ datname: string }>('select datname from pg_database where datname = any($1)', [TEMPLATES])).rows.map((r) => r.datname))
  const TEMPLATE = TEMPLATES.find((name) => found.includes(name)) ?? TEMPLATES[0]!
  const templateExists = found.includes(TEMPLATE)
  await admin(async (c) => {
    await c.query('drop database if exists hotline_bench_load with (force)')
    await c.query('drop database if exists hotline_bench_floor with (force)')
    await c.query(templateExists ? `create database hotline_bench_load template ${TEMPLATE}` : 'create database hotline_bench_load')
    await c.query('create database hotline_bench_floor')
  })
  const seeded = templateExists ? await admin(async () => {
    const client = new pg.Client({ connectionString: new URL('/hotline_bench_load', SERVER).toString() })
    await client.connect()
    const { rows } = await client.query<{ n: string }>('select count(*) as n from complaints')
    await client.end()
    return Number(rows[0]!.n)
  }) : 0
  log(templateExists ? `Hotline's database copied from ${TEMPLATE}: ${seeded} complaints` : `no ${TEMPLATES.join(' or ')}: Hotline starts empty (run npm run bench:list first for 1,000,000 complaints)`)
  const redis = new Redis(REDIS_URL)
  await redis.flushdb()
  redis.disconnect()

  const [floorPort, hotlinePort] = [await freePort(), await freePort()]
  const floor = start(['--import', 'tsx', path.join(ROOT, 'bench/floor.ts')], {
    FLOOR_DATABASE_URL: new URL('/hotline_bench_floor', SERVER).toString(), FLOOR_REDIS_URL: REDIS_URL, FLOOR_PORT: String(floorPort),
  })
  // The API alone, as the floor has no worker: the seeded database holds open complaints two years old whose
  // deadlines are long overdue, and a worker would spend the run firing hundreds of thousands of them (what
  // `npm run bench:timers` measures). `migrate` first: it applies what the copy lacks and creates the admin.
  const hotlineEnv = {
    DATABASE_URL: new URL('/hotline_bench_load', SERVER).toString(), REDIS_URL, PORT: String(hotlinePort), LOG_LEVEL: 'warn',
    // Counted as in production, never reached: the load is one token's, far past a person's rate.
    RATE_LIMIT_PER_TOKEN: '1000000', RATE_LIMIT_PER_IP: '1000000',
    QUEUE_PREFIX: 'hotline-bench-load', HOTLINE_BOOTSTRAP_ADMIN_TOKEN: TOKEN,
  }
  const migrating = start([path.join(ROOT, 'dist/src/cli.js'), 'migrate'], hotlineEnv)
  await new Promise((resolve) => migrating.once('exit', resolve))
  // BENCH_PROFILE_DIR: Hotline's CPU profile, written there when it stops (NODE_OPTIONS may not carry --cpu-prof).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []
  const hotline = start([...profile, path.join(ROOT, 'dist/src/cli.js'), 'api'], hotlineEnv)
  try {
    const floorBase = `http://127.0.0.1:${floorPort}`
    const hotlineBase = `http://127.0.0.1:${hotlinePort}`
    await Promise.all([waitReady(`${floorBase}/complaints/00000000-0000-0000-0000-000000000000`, floor), waitReady(`${hotlineBase}/readyz`, hotline)])
    const agent = await fetch(`${hotlineBase}/v1/users`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench Agent', role: 'agent', compensationLimit: 1_000_000 }),
    }).then((r) => r.json() as Promise<{ token: string }>)
    const targets: Record<Target, { base: string; prefix: string; auth: Record<string, string> }> = {
      floor: { base: floorBase, prefix: '', auth: {} },
      hotline: { base: hotlineBase, prefix: '/v1', auth: { authorization: `Bearer ${agent.token}` } },
    }
    const ids: Record<Target, string[]> = { floor: [], hotline: [] }
    const figures = new Map<string, Figure[]>()
    for (const connections of CONNECTIONS) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const work of WORK) {
          const order: Target[] = round % 2 === 0 ? ['floor', 'hotline'] : ['hotline', 'floor']
          for (const target of order.filter((t) => TARGETS.includes(t))) {
            const figure = await measure(targets[target].base, targets[target].prefix, targets[target].auth, work, connections, ids[target])
            log(`${work} ${target} c=${connections} round ${round + 1}: ${figure.rps.toFixed(0)} req/s, p50 ${figure.p50} ms, p99 ${figure.p99} ms, ${figure.errors} errors`)
            const key = `${work}|${connections}|${target}`
            figures.set(key, [...(figures.get(key) ?? []), figure])
          }
        }
      }
    }
    const lines = [`Hotline's database held ${seeded} complaints at the start.`, '',
      '| work | connections | floor req/s | floor p50 / p99 ms | Hotline req/s | Hotline p50 / p99 ms | rate ratio | p99 ratio |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for (const work of WORK) {
      for (const connections of CONNECTIONS) {
        const pick = (target: Target) => {
          const list = figures.get(`${work}|${connections}|${target}`) ?? []
          return { rps: median(list.map((f) => f.rps)), p50: median(list.map((f) => f.p50)), p99: median(list.map((f) => f.p99)) }
        }
        const f = pick('floor')
        const h = pick('hotline')
        if (!TARGETS.includes('floor') || !TARGETS.includes('hotline')) {
          const [name, one] = TARGETS.includes('floor') ? ['floor', f] : ['hotline', h]
          lines.push(`| ${work} | ${connections} | ${name} alone: ${one.rps.toFixed(0)} req/s, p50 ${one.p50} / p99 ${one.p99} ms | | | | | |`)
          continue
        }
        lines.push(`| ${work} | ${connections} | ${f.rps.toFixed(0)} | ${f.p50} / ${f.p99} | ${h.rps.toFixed(0)} | ${h.p50} / ${h.p99} | ` +
          `${(h.rps / f.rps).toFixed(2)} | ${(h.p99 / Math.max(1, f.p99)).toFixed(2)} |`)
      }
    }
    process.stdout.write(lines.join('\n') + '\n')
  } finally {
    await Promise.all([stop(floor), stop(hotline)])
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.stack ?? error.message : String(error))
  process.exit(1)
})

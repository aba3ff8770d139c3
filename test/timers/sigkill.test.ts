import type { ChildProcess } from 'node:child_process'
import { sql } from 'kysely'
import t from 'tap'
import { aComplaint, deleteKeys, REDIS_URL, setupApp } from '../helpers/app.js'
import { spawnCli } from '../helpers/child-env.js'
import { waitFor } from '../helpers/worker.js'

const TIMERS = 150

function startWorkerProcess(env: Record<string, string>): ChildProcess {
  const child = spawnCli(['worker'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return child
}

t.test('a worker killed with SIGKILL in the middle of a batch, then restarted, fires every deadline exactly once', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db, prefix, redis } = testApp
  const agent = await user('agent')
  for (let i = 0; i < TIMERS; i++) await call('POST', '/v1/complaints', agent, aComplaint({ summary: `case ${i}` }))
  // Every warning falls due in a second, all at once; Redis forgets the jobs so the worker's reconciler arms them.
  await deleteKeys(redis, `${prefix}:*`)
  await db.updateTable('timers').set({ dueAt: new Date(Date.now() + 1_000) }).where('kind', '=', 'response_warning').execute()
  const env = {
    DATABASE_URL: testApp.databaseUrl, REDIS_URL, QUEUE_PREFIX: prefix, WORKER_LOCK_MS: '2000',
    RECONCILE_EVERY: 'PT1S', WORKER_CONCURRENCY: '2', LOG_LEVEL: 'error',
  }
  const fired = async () => Number((await sql<{ n: string }>`select count(*) as n from timers where kind = 'response_warning' and fired_at is not null`.execute(db)).rows[0]!.n)

  const first = startWorkerProcess(env)
  t.teardown(() => first.kill('SIGKILL'))
  const before = await waitFor(async () => {
    const n = await fired()
    return n >= 5 && n
  }, 90_000, 'the batch to start') // a child loading through tsx on a busy two-core machine can take a minute
  first.kill('SIGKILL')
  await new Promise((resolve) => first.once('exit', resolve))
  const atKill = await fired()
  t.ok(atKill < TIMERS, `killed mid-batch (${before} fired when seen, ${atKill} at the kill)`)

  const second = startWorkerProcess(env)
  t.teardown(() => second.kill('SIGTERM'))
  await waitFor(async () => (await fired()) === TIMERS, 90_000, 'every warning to fire')

  const perTimer = await sql<{ timer: string; n: string }>`
    select data ->> 'timerId' as timer, count(*) as n from complaint_events
    where type = 'deadline.warning' group by 1`.execute(db)
  t.equal(perTimer.rows.length, TIMERS, 'every deadline fired')
  t.ok(perTimer.rows.every((r) => Number(r.n) === 1), 'each exactly once')
  second.kill('SIGTERM')
  const code = await new Promise((resolve) => second.once('exit', (c) => resolve(c)))
  t.equal(code, 0, 'SIGTERM closes the worker gracefully')
})

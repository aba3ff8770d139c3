import type { ChildProcess } from 'node:child_process'
import t from 'tap'
import { aComplaint, deleteKeys, REDIS_URL } from '../helpers/app.js'
import { spawnCli } from '../helpers/child-env.js'
import { waitFor } from '../helpers/worker.js'
import { count, setupWebhookApp, startReceiver } from './fixtures/webhooks.js'

const COMPLAINTS = 15

t.test('a worker killed during a delivery loses no event; the next worker delivers them all, in order', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, admin, user, db, redis, prefix } = testApp
  const agent = await user('agent')
  let first = true
  // The very first request is never answered: the worker is killed while it waits on it.
  const receiver = await startReceiver(t, {
    answer: (r) => {
      if (first) {
        first = false
        return 'hang'
      }
      return r.verified ? 200 : 401
    },
  })
  const endpoint = (await call('POST', '/v1/webhook-endpoints', admin, { url: receiver.url, events: ['complaint.received', 'complaint.logged'] })).json()
  receiver.setSecret(endpoint.secret)
  for (let i = 0; i < COMPLAINTS; i++) await call('POST', '/v1/complaints', agent, aComplaint({ summary: `case ${i}` }))
  const events = await count(testApp, 'webhookEvents')
  t.equal(events, COMPLAINTS * 2)
  // Redis forgets the enqueued jobs too: only the worker's sweep can find the deliveries now.
  await deleteKeys(redis, `${prefix}:*`)

  const env = {
    DATABASE_URL: testApp.databaseUrl, REDIS_URL, QUEUE_PREFIX: prefix, WORKER_LOCK_MS: '2000', RECONCILE_EVERY: 'PT1S',
    WORKER_CONCURRENCY: '4', LOG_LEVEL: 'error', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_TIMEOUT_MS: '1500',
    WEBHOOK_RETRY_BASE: 'PT0.2S', WEBHOOK_RETRY_MAX_DELAY: 'PT1S',
  }
  const start = (): ChildProcess => spawnCli(['worker'], { cwd: new URL('../..', import.meta.url).pathname, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })

  const worker = start()
  t.teardown(() => worker.kill('SIGKILL'))
  await waitFor(async () => !first && receiver.received.length >= 3, 90_000, 'the worker to be mid-delivery') // a child loading through tsx on a busy machine can take a minute
  worker.kill('SIGKILL')
  await new Promise((resolve) => worker.once('exit', resolve))
  const hung = receiver.received[0]!
  const atKill = receiver.accepted().length
  t.ok(atKill < events, `killed with ${atKill} of ${events} delivered`)
  const interrupted = await db.selectFrom('webhookAttempts').select('n').where('finishedAt', 'is', null).execute()
  t.ok(interrupted.length >= 1, 'the attempt in flight is on record, never finished')

  const second = start()
  t.teardown(() => second.kill('SIGKILL'))
  await waitFor(async () => new Set(receiver.accepted().map((r) => r.webhookId)).size === events, 90_000, 'every event')

  const accepted = receiver.accepted()
  t.equal(new Set(accepted.map((r) => r.webhookId)).size, events, 'every event arrived')
  t.ok(accepted.some((r) => r.webhookId === hung.webhookId), 'the one cut off by the kill was sent again, same webhook-id')
  t.ok(receiver.received.every((r) => r.verified), 'all signed')
  const duplicates = accepted.length - events
  // Requests are sent in the background (a job only claims): at most one per line, one line per complaint, is in
  // flight at the kill.
  t.ok(duplicates <= COMPLAINTS, `at most the attempts in flight at the kill arrive twice (${duplicates})`)
  const hungComplaint = hung.body.data.complaintId
  const itsEvents = accepted.filter((r) => r.body.data.complaintId === hungComplaint).map((r) => r.body.type)
  t.same([...new Set(itsEvents)], ['complaint.received', 'complaint.logged'], "its complaint's next event waited for it")
  // The receiver has answered the last one; the worker records it as delivered just after.
  const unsettled = () => db.selectFrom('webhookDeliveries').select('id').where('status', '<>', 'delivered').execute()
  await waitFor(async () => (await unsettled()).length === 0, 10_000, 'the last answers to be recorded').catch(() => undefined)
  t.same(await unsettled(), [], 'every delivery is settled as delivered')

  second.kill('SIGTERM')
  t.equal(await new Promise((resolve) => second.once('exit', (code) => resolve(code))), 0, 'SIGTERM closes the worker gracefully')
})

import type { ChildProcess } from 'node:child_process'
import t from 'tap'
import { aComplaint, deleteKeys, REDIS_URL } from '../helpers/app.js'
import { spawnCli } from '../helpers/child-env.js'
import { waitFor } from '../helpers/worker.js'
import { notificationsOf, setupNotifyApp, SMS_SECRET, startGateway, startSmtp } from './fixtures/notify.js'

t.test('a worker killed between commit and send, and again mid-send: each message arrives, under one id', async (t) => {
  // Each message's first attempt is never answered: the worker is killed while it waits.
  const smtp = await startSmtp(t, { answer: (_id, attempt) => (attempt === 1 ? 'hang' : 'ok') })
  const gateway = await startGateway(t, { answer: (sms, attempt) => (attempt === 1 ? 'hang' : sms.verified ? 200 : 401) })
  const config = { SMTP_URL: smtp.url, SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_SECRET: SMS_SECRET }
  const testApp = await setupNotifyApp(t, config)
  const agent = await testApp.user('agent')
  const created = (await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 138 0013 8000', email: 'li.wei@example.com' } }))).json()
  const [email, sms] = await notificationsOf(testApp, created.id)
  t.same([email!.status, sms!.status], ['pending', 'pending'], 'committed, not sent: no worker runs')
  // The request enqueued nothing; Redis forgets whatever else it held: only Postgres knows of the messages.
  await deleteKeys(testApp.redis, `${testApp.prefix}:*`)

  const env = {
    DATABASE_URL: testApp.databaseUrl, REDIS_URL, QUEUE_PREFIX: testApp.prefix, WORKER_LOCK_MS: '2000', RECONCILE_EVERY: 'PT1S',
    WORKER_CONCURRENCY: '4', LOG_LEVEL: 'error', WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_RETRY_BASE: 'PT0.2S', WEBHOOK_RETRY_MAX_DELAY: 'PT1S',
    ...config,
  }
  const start = (): ChildProcess => spawnCli(['worker'], { cwd: new URL('../..', import.meta.url).pathname, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  const worker = start()
  t.teardown(() => worker.kill('SIGKILL'))
  // A child loading through tsx on a busy machine can take a minute.
  await waitFor(async () => smtp.attempts.size === 1 && gateway.received.length === 1, 90_000, 'both first attempts to hang')
  worker.kill('SIGKILL')
  await new Promise((resolve) => worker.once('exit', resolve))
  const inFlight = await notificationsOf(testApp, created.id)
  t.same(inFlight.map((r) => [r.status, r.attempts]), [['pending', 1], ['pending', 1]], 'the attempts in flight are on record, unfinished')

  const second = start()
  t.teardown(() => second.kill('SIGKILL'))
  await waitFor(async () => smtp.received.length === 1 && gateway.accepted().length === 1, 90_000, 'both messages')
  t.equal(smtp.received[0]!.messageId, `<${email!.id}@localhost>`)
  t.same([...smtp.attempts.entries()], [[`<${email!.id}@localhost>`, 2]], 'the repeat after the crash carried the same Message-ID')
  t.same(gateway.received.map((r) => r.webhookId), [sms!.id, sms!.id], 'and the same webhook-id')
  const settled = await waitFor(async () => {
    const rows = await notificationsOf(testApp, created.id)
    return rows.every((r) => r.status === 'sent') && rows
  }, 20_000, 'both recorded as sent')
  t.same(settled.map((r) => [r.id, r.attempts]), [[email!.id, 2], [sms!.id, 2]], 'the same messages, sent once each after the restart')

  second.kill('SIGTERM')
  t.equal(await new Promise((resolve) => second.once('exit', (code) => resolve(code))), 0, 'SIGTERM closes the worker gracefully')
})

import { sql } from 'kysely'
import t from 'tap'
import { aComplaint } from '../helpers/app.js'
import { loadNotifications } from '../../src/notifications/loader.js'
import { DeliveryQueue } from '../../src/webhooks/delivery-queue.js'
import { notificationsOf, setupNotifyApp, SMS_SECRET } from './fixtures/notify.js'

// No SMTP server or gateway runs and no worker takes jobs: what is checked is what the loader hands out.
const CONFIG = { SMTP_URL: 'smtp://127.0.0.1:9', SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms', SMS_WEBHOOK_SECRET: SMS_SECRET }

t.test('the loader hands each new message to the delivery queue once, and again only when it was never attempted', async (t) => {
  const testApp = await setupNotifyApp(t, CONFIG)
  const queue = new DeliveryQueue(testApp.redis, testApp.prefix)
  t.teardown(() => queue.close())
  const agent = await testApp.user('agent')
  const created = (await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 138 0013 8000', email: 'li.wei@example.com' } }))).json()
  const [email, sms] = await notificationsOf(testApp, created.id)
  const jobIds = async () => (await queue.queue.getJobs(['waiting', 'delayed', 'prioritized'])).map((job) => `${job.name} ${job.id}`).sort()
  t.same(await jobIds(), [], 'the request that wrote the messages enqueued nothing')

  t.equal(await loadNotifications(testApp.db, queue), 2)
  t.same(await jobIds(), [`notify ${email!.id}.0`, `notify ${sms!.id}.0`].sort(), 'one notify job each, under the ids the retries and the sweep use')
  t.equal(await loadNotifications(testApp.db, queue), 0, 'a message handed out is not handed out again while its job waits')

  // A minute on, still never attempted (its job lost, or a long queue): handed out again, as the same job.
  await sql`update notifications set queued_at = now() - interval '61 seconds' where id = ${email!.id}`.execute(testApp.db)
  t.equal(await loadNotifications(testApp.db, queue), 1)
  t.equal((await jobIds()).length, 2, 'BullMQ keeps one job per id')

  // A message being attempted (leased) or waiting for a retry is not the loader's: the worker enqueued its retry.
  await sql`update notifications set attempts = 1, queued_at = null, next_attempt_at = now() - interval '1 second' where id = ${sms!.id}`.execute(testApp.db)
  await sql`update notifications set queued_at = null, lease_until = now() + interval '1 minute' where id = ${email!.id}`.execute(testApp.db)
  t.equal(await loadNotifications(testApp.db, queue), 0)
})

t.test('a message due later waits; more than a batch is handed out in one round', async (t) => {
  const testApp = await setupNotifyApp(t, CONFIG)
  const queue = new DeliveryQueue(testApp.redis, testApp.prefix)
  t.teardown(() => queue.close())
  const agent = await testApp.user('agent')
  const created = (await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { email: 'li.wei@example.com' } }))).json()
  const [email] = await notificationsOf(testApp, created.id)
  await sql`update notifications set next_attempt_at = now() + interval '1 hour' where id = ${email!.id}`.execute(testApp.db)
  t.equal(await loadNotifications(testApp.db, queue), 0, 'not due yet')

  // 1,200 more never-attempted messages of the same complaint: over the loader's batch of 1,000.
  await sql`insert into notifications (id, complaint_id, seq, kind, channel, recipient, language, body)
    select gen_random_uuid(), ${created.id}, 2, 'complaint_logged', 'email', 'li.wei@example.com', 'en', 'Hello'
    from generate_series(1, 1200)`.execute(testApp.db)
  t.equal(await loadNotifications(testApp.db, queue), 1_200)
  t.equal(await queue.queue.count(), 1_200)
})

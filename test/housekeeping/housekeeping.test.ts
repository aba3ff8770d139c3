import { sql } from 'kysely'
import pino from 'pino'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { housekeep, purgeIdempotencyKeys, purgeWebhookDeliveries, startHousekeepingLoop } from '../../src/housekeeping/housekeeping.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'
import { setupWebhookApp } from '../webhooks/fixtures/webhooks.js'

const DAY = 86_400_000
const RETENTION = { idempotencyKeyRetentionMs: 30 * DAY, webhookDeliveryRetentionMs: 30 * DAY }

/** created_at is never updated by the service; tests age keys by hand. */
const backdate = (db: Db, createdAt: Date, key?: string) =>
  sql`update idempotency_keys set created_at = ${createdAt} where ${key === undefined ? sql`true` : sql`key = ${key}`}`.execute(db)

t.test('idempotency keys older than the retention are forgotten; younger ones still answer with their complaint', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const post = (key: string) => call('POST', '/v1/complaints', agent, aComplaint(), { 'idempotency-key': key })
  const old = (await post('call-old')).json().id
  const recent = (await post('call-recent')).json().id
  await backdate(db, new Date(Date.now() - 31 * DAY), 'call-old')

  const report = await housekeep(db, RETENTION)
  t.equal(report.idempotencyKeysDeleted, 1)
  t.same((await db.selectFrom('idempotencyKeys').select('key').execute()).map((r) => r.key), ['call-recent'])

  const again = await post('call-recent')
  t.equal(again.statusCode, 200, 'a key within the retention answers as before')
  t.equal(again.json().id, recent)
  const reused = await post('call-old')
  t.equal(reused.statusCode, 201, 'a forgotten key is new again')
  t.not(reused.json().id, old)
  t.equal((await db.selectFrom('complaints').select('id').where('id', '=', old).execute()).length, 1, 'the complaint itself stays')
})

t.test('keys are deleted in short batches, oldest first, until none is older than the cutoff', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  for (let i = 0; i < 7; i++) await call('POST', '/v1/complaints', agent, aComplaint(), { 'idempotency-key': `k-${i}` })
  const now = Date.now()
  for (let i = 0; i < 7; i++) {
    await backdate(db, new Date(now - (10 - i) * DAY), `k-${i}`)
  }
  t.equal(await purgeIdempotencyKeys(db, new Date(now - 4.5 * DAY), 2), 6, 'three full batches of two')
  t.same((await db.selectFrom('idempotencyKeys').select('key').execute()).map((r) => r.key), ['k-6'])
  t.equal(await purgeIdempotencyKeys(db, new Date(now - 4.5 * DAY), 2), 0, 'nothing left to do')
})

t.test('a round rebuilds the report days noted dirty, so reports need not', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  await call('POST', '/v1/complaints', agent, aComplaint())
  const dirty = async () => (await sql`select day from report_dirty_days`.execute(db)).rows
  // Since migration 0035 an intake notes its complaint for a report-row rebuild; the rebuild marks the day dirty.
  const pending = async () => (await sql`select complaint_id from report_facts_pending`.execute(db)).rows
  t.equal((await pending()).length, 1, 'the new complaint waits for its report row')
  const report = await housekeep(db, RETENTION)
  t.equal(report.reportNotesTaken, 1, 'its report row rebuilt first')
  t.equal(report.reportDaysRebuilt, 1, 'then its day')
  t.same(await pending(), [])
  t.same(await dirty(), [])
  const daily = await sql<{ received: number }>`select received from report_daily where dim = 'all'`.execute(db)
  t.same(daily.rows.map((r) => Number(r.received)), [1], 'the day has its row')
})

t.test('the loop housekeeps at start under a lock one worker of many holds', async (t) => {
  const { call, user, db, redis, prefix } = await setupApp(t)
  const agent = await user('agent')
  await call('POST', '/v1/complaints', agent, aComplaint(), { 'idempotency-key': 'gone-soon' })
  await backdate(db, new Date(Date.now() - 2 * DAY))
  const options = { db, redis, prefix, everyMs: 60_000, ...RETENTION, idempotencyKeyRetentionMs: DAY, logger: pino({ level: 'silent' }) }
  const first = startHousekeepingLoop(options)
  t.teardown(first.close)
  await waitFor(async () => (await db.selectFrom('idempotencyKeys').select('key').execute()).length === 0, 10_000, 'the first round')
  t.ok(await redis.exists(`${prefix}:housekeeping-lock`), 'the round holds the lock for its interval')

  await call('POST', '/v1/complaints', agent, aComplaint(), { 'idempotency-key': 'kept' })
  await backdate(db, new Date(Date.now() - 2 * DAY))
  const second = startHousekeepingLoop(options)
  await second.close() // waits for the round it started at once
  t.equal((await db.selectFrom('idempotencyKeys').select('key').execute()).length, 1, 'a second worker skips the round the first one holds')
})

t.test('settled webhook deliveries older than the retention go with their attempts; pending ones and their events stay', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, admin, user, db } = testApp
  const agent = await user('agent')
  const endpoint = async () =>
    (await call('POST', '/v1/webhook-endpoints', admin, { url: 'http://127.0.0.1:9/hook', events: ['complaint.received', 'complaint.logged'] })).json().id as string
  const [a, b] = [await endpoint(), await endpoint()]
  await call('POST', '/v1/complaints', agent, aComplaint())
  const rows = await db.selectFrom('webhookDeliveries as d').innerJoin('webhookEvents as e', 'e.id', 'd.eventId')
    .select(['d.id', 'd.endpointId', 'e.type']).execute()
  t.equal(rows.length, 4, 'two events, each for two endpoints; no worker runs, so all pending')
  const delivery = (endpointId: string, type: string) => rows.find((r) => r.endpointId === endpointId && r.type === type)!.id
  const old = new Date(Date.now() - 40 * DAY)
  const settle = async (id: string, status: string, at: Date) => {
    await sql`update webhook_deliveries set status = ${status}, attempts = 1, finished_at = ${at} where id = ${id}`.execute(db)
    await sql`insert into webhook_attempts (delivery_id, n, started_at, finished_at, status_code) values (${id}, 1, ${at}, ${at}, 200)`.execute(db)
  }
  await settle(delivery(a, 'complaint.received'), 'delivered', old)
  await settle(delivery(b, 'complaint.received'), 'failed', old)
  await settle(delivery(a, 'complaint.logged'), 'cancelled', old)
  await settle(delivery(b, 'complaint.logged'), 'delivered', new Date(Date.now() - DAY))
  await sql`update webhook_deliveries set created_at = ${old}`.execute(db)

  t.equal(await purgeWebhookDeliveries(db, new Date(Date.now() - 30 * DAY), 2), 3, 'the three settled 40 days ago, in batches of two')
  const left = await db.selectFrom('webhookDeliveries as d').innerJoin('webhookEvents as e', 'e.id', 'd.eventId').select(['d.id', 'e.type']).execute()
  t.same(left.map((r) => r.id), [delivery(b, 'complaint.logged')], 'the one settled yesterday stays')
  t.same((await db.selectFrom('webhookEvents').select('type').execute()).map((r) => r.type), ['complaint.logged'],
    'an event goes with its last delivery, not before')
  t.same((await sql<{ id: string }>`select delivery_id as id from webhook_attempts`.execute(db)).rows.map((r) => r.id), [delivery(b, 'complaint.logged')])

  await sql`update webhook_deliveries set status = 'pending', finished_at = null`.execute(db)
  t.equal((await housekeep(db, { ...RETENTION, webhookDeliveryRetentionMs: 1 })).webhookDeliveriesDeleted, 0, 'a pending delivery is never purged, however old')
})

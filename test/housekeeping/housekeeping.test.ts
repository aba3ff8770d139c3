import { sql } from 'kysely'
import pino from 'pino'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { housekeep, purgeIdempotencyKeys, startHousekeepingLoop } from '../../src/housekeeping/housekeeping.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'

const DAY = 86_400_000

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

  const report = await housekeep(db, { idempotencyKeyRetentionMs: 30 * DAY })
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
  t.ok((await dirty()).length > 0, 'the new complaint marked its day dirty')
  const report = await housekeep(db, { idempotencyKeyRetentionMs: 30 * DAY })
  t.equal(report.reportDaysRebuilt, 1)
  t.same(await dirty(), [])
  const daily = await sql<{ received: number }>`select received from report_daily where dim = 'all'`.execute(db)
  t.same(daily.rows.map((r) => Number(r.received)), [1], 'the day has its row')
})

t.test('the loop housekeeps at start under a lock one worker of many holds', async (t) => {
  const { call, user, db, redis, prefix } = await setupApp(t)
  const agent = await user('agent')
  await call('POST', '/v1/complaints', agent, aComplaint(), { 'idempotency-key': 'gone-soon' })
  await backdate(db, new Date(Date.now() - 2 * DAY))
  const options = { db, redis, prefix, everyMs: 60_000, idempotencyKeyRetentionMs: DAY, logger: pino({ level: 'silent' }) }
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

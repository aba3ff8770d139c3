import t, { type Test } from 'tap'
import { hashToken } from '../../src/auth/tokens.js'
import { cachesOf, setUpCaches } from '../../src/cache/caches.js'
import { createDb } from '../../src/db/database.js'
import { aComplaint, setupApp, type TestApp } from '../helpers/app.js'
import { fastPolicy, waitFor } from '../helpers/worker.js'
import { setupWebhookApp, startDeliveries, startReceiver } from '../webhooks/fixtures/webhooks.js'

/** This process's caches keep what they read for a minute: only an invalidation can make it see a change sooner. */
function longLived(testApp: TestApp) {
  setUpCaches(testApp.db, { ttlMs: 60_000 })
}

/** Another process on the same database: its own pool and caches, and a clock the test moves by hand. */
function anotherProcess(t: Test, testApp: TestApp) {
  const db = createDb(testApp.databaseUrl, { max: 2 })
  t.teardown(() => db.destroy())
  let now = 5_000_000
  const caches = setUpCaches(db, { now: () => now })
  return { caches, advance: (ms: number) => (now += ms) }
}

t.test('a new policy: the process that saved it applies it at once, another one within CACHE_TTL', async (t) => {
  const testApp = await setupApp(t)
  longLived(testApp)
  const { call, admin, db } = testApp
  const other = anotherProcess(t, testApp)
  t.equal((await cachesOf(db).policy()).version, 0, 'the default, read before the change')
  t.equal((await other.caches.policy()).version, 0)

  const put = await call('PUT', '/v1/sla-policies', admin, fastPolicy({ maxLevel: 2 }))
  t.equal(put.statusCode, 200, put.body)
  const version = put.json().version as number
  t.equal((await cachesOf(db).policy()).version, version, 'this process: at once')
  t.equal((await call('GET', '/v1/sla-policies', admin)).json().version, version)
  t.equal((await other.caches.policy()).version, 0, 'the other process still uses what it read')
  other.advance(1_000)
  t.equal((await other.caches.policy()).version, 0, 'for up to one second after its read began')
  other.advance(1)
  const seen = await other.caches.policy()
  t.equal(seen.version, version, 'and no longer')
  t.equal(seen.policy.maxLevel, 2)

  other.advance(5_000)
  t.equal(await other.caches.policy(), seen, 'the same version read again is the same object: what was compiled from it is kept')
})

t.test('a deactivated token: refused at once by the process that deactivated it, by another within CACHE_TTL', async (t) => {
  const testApp = await setupApp(t)
  longLived(testApp)
  const { call, admin, user } = testApp
  const other = anotherProcess(t, testApp)
  const agent = await user('agent')
  t.equal((await call('GET', '/v1/me', agent)).statusCode, 200, 'read into this process\'s cache')
  const cached = await other.caches.userByTokenHash(hashToken(agent.token))
  t.match(cached, { id: agent.id, role: 'agent' })
  t.ok(Object.isFrozen(cached), 'one object serves many requests: frozen')

  t.equal((await call('PATCH', `/v1/users/${agent.id}`, admin, { active: false })).statusCode, 200)
  t.equal((await call('GET', '/v1/me', agent)).statusCode, 401, 'this process: at once')
  t.ok(await other.caches.userByTokenHash(hashToken(agent.token)), 'the other process: not yet')
  other.advance(1_001)
  t.equal(await other.caches.userByTokenHash(hashToken(agent.token)), undefined, 'within one second')

  t.equal((await call('PATCH', `/v1/users/${agent.id}`, admin, { active: true })).statusCode, 200)
  t.equal((await call('GET', '/v1/me', agent)).statusCode, 200, 'reactivated: at once, an unknown token was not remembered')
  t.ok(await other.caches.userByTokenHash(hashToken(agent.token)), 'nor in the other process')

  const supervisor = await user('supervisor', { level: 1 })
  t.equal((await call('GET', '/v1/me', supervisor)).json().level, 1)
  t.equal((await call('PATCH', `/v1/users/${supervisor.id}`, admin, { level: 3, teams: ['billing'] })).statusCode, 200)
  t.match((await call('GET', '/v1/me', supervisor)).json(), { level: 3, teams: ['billing'] }, 'a new level and team: at once')
})

t.test('webhook endpoints: created, stopped, restarted and deleted are seen at once here, within CACHE_TTL elsewhere', async (t) => {
  const testApp = await setupWebhookApp(t)
  longLived(testApp)
  const { call, admin, db } = testApp
  const other = anotherProcess(t, testApp)
  t.same(await cachesOf(db).endpoints(), [])
  t.same(await other.caches.endpoints(), [])
  const created = await call('POST', '/v1/webhook-endpoints', admin, { url: 'https://example.com/hooks', events: ['complaint.received'] })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().id as string
  t.same((await cachesOf(db).endpoints()).map((e) => e.id), [id], 'created: at once')
  t.same(await other.caches.endpoints(), [], 'not yet elsewhere')
  other.advance(1_001)
  t.same((await other.caches.endpoints()).map((e) => e.id), [id], 'within one second')

  t.equal((await call('PATCH', `/v1/webhook-endpoints/${id}`, admin, { active: false })).statusCode, 200)
  t.same(await cachesOf(db).endpoints(), [], 'stopped: at once')
  t.equal((await call('PATCH', `/v1/webhook-endpoints/${id}`, admin, { active: true, events: ['complaint.logged'] })).statusCode, 200)
  t.match(await cachesOf(db).endpoints(), [{ id, events: ['complaint.logged'] }], 'restarted with other events: at once')
  t.equal((await call('DELETE', `/v1/webhook-endpoints/${id}`, admin)).statusCode, 204)
  t.same(await cachesOf(db).endpoints(), [], 'deleted: at once')
})

t.test('an endpoint the delivery worker disables takes no new event from this process', async (t) => {
  const testApp = await setupWebhookApp(t)
  longLived(testApp)
  const { call, admin, user, db } = testApp
  startDeliveries(t, testApp)
  const receiver = await startReceiver(t, { answer: () => 410 })
  const agent = await user('agent')
  const endpoint = (await call('POST', '/v1/webhook-endpoints', admin, { url: receiver.url, events: ['complaint.received'] })).json()
  receiver.setSecret(endpoint.secret)
  t.equal((await call('POST', '/v1/complaints', agent, aComplaint())).statusCode, 201)
  t.equal((await cachesOf(db).endpoints()).length, 1, 'the endpoint is held in memory')
  // Held for a minute unless invalidated: only the worker's invalidation after its commit empties it this soon.
  await waitFor(async () => (await cachesOf(db).endpoints()).length === 0, 30_000, 'the disabled endpoint to be forgotten')
  const row = await db.selectFrom('webhookEndpoints').select(['active', 'disabledReason']).where('id', '=', endpoint.id).executeTakeFirstOrThrow()
  t.match(row, { active: false, disabledReason: 'gone' }, 'disabled by the worker (410 Gone), and forgotten by this process')
  const after = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'after' }))).json()
  const written = await db.selectFrom('webhookDeliveries').select('id').where('complaintId', '=', after.id).execute()
  t.same(written, [], 'no delivery written for a disabled endpoint')
})

import t from 'tap'
import { aComplaint, setupApp, type TestApp } from '../helpers/app.js'

const count = async (db: TestApp['db']) =>
  Number((await db.selectFrom('complaints').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

t.test('the same key and body (keys in another order) replays the first complaint', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const body = aComplaint({ severity: 'high', customer: { name: 'Li Wei', phone: '+8613800138000' } })
  const reordered = {
    summary: body.summary, region: body.region, product: body.product, severity: 'high', category: body.category,
    customer: { phone: '+8613800138000', name: 'Li Wei' },
  }
  t.not(JSON.stringify(reordered), JSON.stringify(body), 'the bodies differ in key order')

  const first = await call('POST', '/v1/complaints', agent, body, { 'idempotency-key': 'call-42' })
  t.equal(first.statusCode, 201)
  t.notOk(first.headers['idempotent-replayed'], 'a first request is not a replay')
  const again = await call('POST', '/v1/complaints', agent, reordered, { 'idempotency-key': 'call-42' })
  t.equal(again.statusCode, 200, again.body)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.json().id, first.json().id)
  t.equal(again.json().reference, first.json().reference)
  t.equal(again.headers.location, `/v1/complaints/${first.json().id}`)
  t.equal(again.headers.etag, first.headers.etag)
  t.equal(await count(db), 1, 'only one complaint exists')
  const events = (await call('GET', `/v1/complaints/${first.json().id}/events`, agent)).json().items
  t.equal(events.length, 2, 'a replay appends no history')

  // A replay answers with the complaint as it is now.
  await call('POST', `/v1/complaints/${first.json().id}/notes`, agent, { text: 'called back' })
  const later = await call('POST', '/v1/complaints', agent, body, { 'idempotency-key': 'call-42' })
  t.equal(later.statusCode, 200)
  t.equal(later.json().version, 3)
  t.equal(later.headers.etag, '"3"')

  const other = await call('POST', '/v1/complaints', agent, body, { 'idempotency-key': 'call-43' })
  t.equal(other.statusCode, 201, 'another key is another complaint')
  t.not(other.json().id, first.json().id)
  const noKey = await call('POST', '/v1/complaints', agent, body)
  t.equal(noKey.statusCode, 201, 'without a key nothing is deduplicated')
  t.equal(await count(db), 3)
})

t.test('the same key with another body answers 422 idempotency_mismatch', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const first = await call('POST', '/v1/complaints', agent, aComplaint(), { 'idempotency-key': 'k-1' })
  t.equal(first.statusCode, 201)
  for (const changed of [aComplaint({ summary: 'Something else' }), aComplaint({ severity: 'urgent' }), aComplaint({ customer: { phone: '+8613900139000' } })]) {
    const response = await call('POST', '/v1/complaints', agent, changed, { 'idempotency-key': 'k-1' })
    t.equal(response.statusCode, 422)
    t.equal(response.json().code, 'idempotency_mismatch')
    t.match(response.headers['content-type'], /^application\/problem\+json/)
  }
  t.equal(await count(db), 1, 'a mismatch creates nothing')
  t.equal((await call('POST', '/v1/complaints', agent, aComplaint(), { 'idempotency-key': 'k-1' })).statusCode, 200,
    'the original body still replays')
})

t.test('keys belong to their user', async (t) => {
  const { call, user, db } = await setupApp(t)
  const alice = await user('agent')
  const bob = await user('supervisor')
  const a = await call('POST', '/v1/complaints', alice, aComplaint(), { 'idempotency-key': 'shared' })
  const b = await call('POST', '/v1/complaints', bob, aComplaint({ summary: 'other' }), { 'idempotency-key': 'shared' })
  t.equal(a.statusCode, 201)
  t.equal(b.statusCode, 201, 'another user may use the same key with any body')
  t.not(a.json().id, b.json().id)
  const replayA = await call('POST', '/v1/complaints', alice, aComplaint(), { 'idempotency-key': 'shared' })
  const replayB = await call('POST', '/v1/complaints', bob, aComplaint({ summary: 'other' }), { 'idempotency-key': 'shared' })
  t.equal(replayA.json().id, a.json().id)
  t.equal(replayB.json().id, b.json().id)
  t.equal(await count(db), 2)
})

t.test('10 concurrent requests with one key create one complaint', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  // A customer nobody has seen yet, so the requests also race on the customer row.
  const body = aComplaint({ customer: { name: 'New Person', phone: '+8613512345678', email: 'new.person@example.com' } })
  const responses = await Promise.all(Array.from({ length: 10 }, () =>
    call('POST', '/v1/complaints', agent, body, { 'idempotency-key': 'burst' })))
  const statuses = responses.map((r) => r.statusCode).sort()
  t.same(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 201], responses.map((r) => r.body).join('\n'))
  const ids = new Set(responses.map((r) => r.json().id))
  t.equal(ids.size, 1, 'all answer with the same complaint')
  t.ok(responses.filter((r) => r.statusCode === 200).every((r) => r.headers['idempotent-replayed'] === 'true'))
  t.equal(await count(db), 1)
  const customers = await db.selectFrom('customers').select('id').execute()
  t.equal(customers.length, 1)
  const keys = await db.selectFrom('idempotencyKeys').selectAll().execute()
  t.equal(keys.length, 1)
  t.equal(keys[0]?.complaintId, [...ids][0])
  const timers = await db.selectFrom('timers').select('complaintId').execute()
  t.ok(timers.every((row) => ids.has(row.complaintId)), 'the losers left no timers behind')
})

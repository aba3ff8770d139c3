import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

const DAY = 24 * 3_600_000

t.test('an explicit promise must lie ahead, and at most policy.maxPromise ahead', async (t) => {
  const { call, user, admin } = await setupApp(t)
  const agent = await user('agent')
  const at = (ms: number) => new Date(Date.now() + ms).toISOString()

  const past = await call('POST', '/v1/complaints', agent, aComplaint({ promisedBy: '2020-01-01T00:00:00Z' }))
  t.equal(past.statusCode, 400, 'a promise six years ago')
  t.match(past.json(), { code: 'validation_failed', errors: [{ field: 'body.promisedBy', message: /not in the future/ }] })
  const far = await call('POST', '/v1/complaints', agent, aComplaint({ promisedBy: at(91 * DAY) }))
  t.equal(far.statusCode, 400, 'beyond P90D')
  t.match(far.json().errors, [{ field: 'body.promisedBy', message: /P90D/ }])
  t.equal((await call('POST', '/v1/complaints', agent, aComplaint({ promisedBy: at(89 * DAY) }))).statusCode, 201)

  const policy = (await call('GET', '/v1/sla-policies', admin)).json()
  const saved = await call('PUT', '/v1/sla-policies', admin, { ...policy, maxPromise: 'P7D' })
  t.equal(saved.statusCode, 200, saved.body)
  t.equal(saved.json().maxPromise, 'P7D')
  t.equal((await call('POST', '/v1/complaints', agent, aComplaint({ promisedBy: at(8 * DAY) }))).statusCode, 400, 'the policy says how far')
})

t.test('PUT /v1/sla-policies takes back what GET answered; a stale version is refused', async (t) => {
  const { call, admin } = await setupApp(t)
  const read = await call('GET', '/v1/sla-policies', admin)
  const answered = read.json() as Record<string, unknown>
  t.match(read.json(), { version: 0, maxExtension: 'P30D', maxPromise: 'P90D', awaitingReminderAfter: 'P2D', awaitingCloseAfter: 'P7D' },
    'the defaults of the fields added later are answered')
  const same = await call('PUT', '/v1/sla-policies', admin, answered)
  t.equal(same.statusCode, 200, same.body)
  t.equal(same.json().version, 1)

  const stale = await call('PUT', '/v1/sla-policies', admin, { ...answered, warnAt: 0.5 })
  t.equal(stale.statusCode, 412, 'version 0 was read, version 1 is in force')
  t.match(stale.json(), { code: 'version_conflict', currentVersion: 1 })
  t.equal((await call('GET', '/v1/sla-policies', admin)).json().warnAt, 0.8, 'nothing saved')

  const current = (await call('GET', '/v1/sla-policies', admin)).json() as Record<string, unknown>
  const racing = await Promise.all([0.5, 0.6].map((warnAt) => call('PUT', '/v1/sla-policies', admin, { ...current, warnAt })))
  t.same(racing.map((r) => r.statusCode).sort(), [200, 412], 'two saves of the same version: one wins')

  const withoutVersion = await call('PUT', '/v1/sla-policies', admin, fastPolicy())
  t.equal(withoutVersion.statusCode, 200, 'a PUT without version replaces whatever is in force')
  t.equal(withoutVersion.json().maxExtension, 'P30D', 'a field left out takes its default')
  const bad = await call('PUT', '/v1/sla-policies', admin, { ...fastPolicy(), awaitingCloseAfter: 'PT0S' })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ field: 'body.awaitingCloseAfter' }])
  t.equal((await call('PUT', '/v1/sla-policies', admin, { ...fastPolicy(), createdBy: 'me' })).statusCode, 400, 'unknown fields still refused')
})

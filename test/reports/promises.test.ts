// extendedRate and withinOriginalPromiseRate, from complaints moved through the API on a clock the test moves.
import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { withReports } from './fixtures/support.js'

const HOUR = 3_600_000

t.test('an extended promise counts in extendedRate; resolved after the first promise, not within it', async (t) => {
  let now = Date.parse('2026-11-02T01:00:00Z')
  const { call, user, admin } = await setupApp(t, { ...withReports, clock: () => new Date(now) })
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  const create = async () => (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'urgent' }))).json()

  // A: promised in two hours, extended to six, resolved at three: within the promise in force, not the first.
  const a = await create()
  t.equal(Date.parse(a.promisedBy) - now, 2 * HOUR, 'urgent: two hours around the clock')
  const until = new Date(now + 6 * HOUR).toISOString()
  t.equal((await call('POST', `/v1/complaints/${a.id}/request-extension`, agent, { until, reason: 'the courier is late' })).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${a.id}/decide-extension`, lead, { approve: true })).statusCode, 200)
  // B: never extended, resolved at three too, an hour after its promise. C: extended and refused, resolved in time.
  const b = await create()
  const c = await create()
  await call('POST', `/v1/complaints/${c.id}/request-extension`, agent, { until, reason: 'x' })
  await call('POST', `/v1/complaints/${c.id}/decide-extension`, lead, { approve: false })
  t.equal((await call('POST', `/v1/complaints/${c.id}/resolve`, agent, { summary: 'done' })).statusCode, 200)
  now += 3 * HOUR
  for (const id of [a.id, b.id]) t.equal((await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'done' })).statusCode, 200)

  const report = (await call('GET', '/v1/reports/summary?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z', admin)).json()
  t.match(report.total, {
    received: 3, resolved: 3,
    withinDeadlineRate: 2 / 3, // A (by its extended promise) and C
    withinOriginalPromiseRate: 1 / 3, // C only
    extendedRate: 1 / 3, // A: a refused request extends nothing
  })
})

// transfers, sentBack, reopened and repeatContactRate, from complaints moved through the API on a clock the test moves.
import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { withReports } from './fixtures/support.js'

const HOUR = 3_600_000

t.test('transfers and send-backs per team, reopened, repeat contacts not resolved on first contact', async (t) => {
  let now = Date.parse('2026-11-02T01:00:00Z')
  const { call, user, admin } = await setupApp(t, { ...withReports, clock: () => new Date(now) })
  const billing = await user('agent', { teams: ['billing'] })
  const courier = await user('agent', { teams: ['delivery'] })
  const colleague = await user('agent', { teams: ['billing'] })
  const create = async (overrides: Record<string, unknown> = {}) =>
    (await call('POST', '/v1/complaints', billing, aComplaint({ team: 'billing', ...overrides }))).json()

  // A: transferred to delivery and sent back (billing: 1 transfer, 1 sent back). B: transferred to delivery, kept
  // there (delivery: 1 transfer). C: resolved on the spot, closed by a colleague's call, then reopened (billing).
  const a = await create({ category: 'invoice' })
  const b = await create({ category: 'courier' })
  const c = await create({ category: 'kettle' })
  t.equal((await call('POST', `/v1/complaints/${a.id}/transfer`, billing, { team: 'delivery', reason: 'courier?' })).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${a.id}/send-back`, courier, { reason: 'an invoice' })).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${b.id}/transfer`, billing, { team: 'delivery', reason: 'courier' })).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${c.id}/resolve`, billing, { summary: 'refunded' })).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${c.id}/follow-up`, colleague, { outcome: 'satisfied' })).statusCode, 200)
  now += HOUR
  // D: the same customer about the same kettle an hour after C closed: a repeat contact, resolved at once, yet not
  // on first contact.
  const d = await create({ category: 'kettle' })
  t.equal(d.repeatOf, c.id)
  t.equal((await call('POST', `/v1/complaints/${d.id}/resolve`, billing, { summary: 'replaced' })).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${c.id}/reopen`, billing, { reason: 'broke again' })).statusCode, 200)

  const report = (await call('GET', '/v1/reports/summary?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z&groupBy=team', admin)).json()
  t.match(report.total, {
    received: 4, resolved: 2, // C (its resolution stays in the history) and D
    resolvedOnTheSpot: 1, // C; D is a repeat contact
    transfers: 2, sentBack: 1,
    reopened: 1, reopenRate: 1 / 2,
    repeatContactRate: 1 / 4,
  })
  const byTeam = Object.fromEntries(report.groups.map((g: { key: string }) => [g.key, g]))
  t.match(byTeam.billing, { received: 3, transfers: 1, sentBack: 1, reopened: 1, repeatContactRate: 1 / 3 })
  t.match(byTeam.delivery, { received: 1, transfers: 1, sentBack: 0, reopened: 0, repeatContactRate: 0 })

  const csv = await call('GET', '/v1/reports/summary?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z', admin, undefined, { accept: 'text/csv' })
  t.equal(csv.statusCode, 200)
  const [header, total] = csv.body.trim().split('\n').map((line) => line.split(','))
  const at = (name: string) => total![header!.indexOf(name)]
  t.same([at('transfers'), at('sentBack'), at('repeatContactRate')], ['2', '1', '0.25'])
})

// The report rows follow complaints moved through the API (the real write path), with no seeding by hand.
import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { withReports } from './fixtures/support.js'

t.test('complaints moved through the API show in the report at once', async (t) => {
  const { call, user, admin } = await setupApp(t, withReports)
  const from = new Date(Date.now() - 60_000).toISOString()
  const ann = await user('agent', { name: 'Ann', compensationLimit: 50 })
  const lead = await user('supervisor', { name: 'Lee', level: 3, compensationLimit: 500 })
  const create = async (overrides: Record<string, unknown>) => {
    const response = await call('POST', '/v1/complaints', ann, aComplaint(overrides))
    t.equal(response.statusCode, 201, response.body)
    return response.json().id as string
  }
  const act = async (id: string, action: string, as: typeof ann, body: unknown) => {
    const response = await call('POST', `/v1/complaints/${id}/${action}`, as, body)
    t.equal(response.statusCode, 200, `${action}: ${response.body}`)
  }

  // On the spot with a refund of 50, satisfied (5): closed.
  const first = await create({ category: 'delivery' })
  await act(first, 'resolve', ann, { summary: 'refund', compensation: { kind: 'refund', amount: 50, currency: 'CNY' } })
  // The follow-up call is not the resolver's (policy followUpBy: not_resolver): the supervisor makes it.
  await act(first, 'follow-up', lead, { outcome: 'satisfied', satisfaction: 5 })
  // Escalated, resolved by the supervisor with a refund of 120, unsatisfied (2): reopened one level up.
  const second = await create({ category: 'billing', severity: 'high' })
  await act(second, 'escalate', ann, { reason: 'above my limit' })
  await act(second, 'acknowledge', lead, {})
  await act(second, 'resolve', lead, { summary: 'refund', compensation: { kind: 'refund', amount: 120, currency: 'CNY' } })
  await act(second, 'follow-up', ann, { outcome: 'unsatisfied', satisfaction: 2 })
  // Withdrawn.
  const third = await create({ category: 'delivery', product: 'toaster' })
  await act(third, 'withdraw', ann, { reason: 'found the parcel' })
  // Merged into the second as its duplicate: received, and closed (as duplicate).
  const fourth = await create({ category: 'delivery' })
  await act(fourth, 'merge', ann, { into: second })

  const to = new Date(Date.now() + 60_000).toISOString()
  const response = await call('GET', `/v1/reports/summary?from=${from}&to=${to}&groupBy=agent`, admin)
  t.equal(response.statusCode, 200, response.body)
  const report = response.json()
  t.equal(report.groups.length, 1)
  const group = report.groups[0]
  t.equal(group.key, ann.id)
  t.equal(group.name, 'Ann')
  t.match(group, {
    received: 4, closed: 3, resolved: 2, resolvedOnTheSpot: 1, onTheSpotRate: 0.5, withinDeadlineRate: 1,
    escalated: 1, escalationRate: 1 / 4, maxLevel: 2, reopened: 1, reopenRate: 0.5, followUpCoverage: 1,
    satisfactionAvg: 3.5, satisfiedShare: 0.5, compensation: { refund: { count: 2, amount: 170 } },
  })
  t.ok(group.resolutionMinutes.p50 >= 0 && group.resolutionMinutes.p50 < 1, 'resolved within the minute')
  const { key: _key, name: _name, ...figures } = group
  t.same(report.total, figures, 'one group: the total is that group')

  const byCategory = (await call('GET', `/v1/reports/summary?from=${from}&to=${to}&groupBy=category`, lead)).json()
  t.same(byCategory.groups.map((g: { key: string; received: number }) => [g.key, g.received]), [['billing', 1], ['delivery', 3]])
})

// The summary report on a hand-computed data set: eight complaints received in October 2026 (K1..K8) and two just
// outside it (K0 a second before, K9 at the first instant of November). Every expected figure below was worked out
// by hand from the histories written here; docs/reports.md defines each one.
import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { refreshReportDays } from '../../src/reports/summary.js'
import { refreshReportFacts } from '../../src/reports/facts-refresh.js'
import { setupApp, type TestApp, type TestUser } from '../helpers/app.js'
import { insertComplaint, insertCustomer, summaryFromCsv, withReports, type SeedComplaint } from './fixtures/support.js'

type Comp = Record<string, { count: number; amount: number }>

/** The figures in the order of the contract, as worked out by hand. */
function f(
  received: number, closed: number, resolved: number, resolvedOnTheSpot: number, onTheSpotRate: number | null,
  withinDeadlineRate: number | null, escalated: number, escalationRate: number | null, maxLevel: number,
  reopened: number, reopenRate: number | null, followUpCoverage: number | null, satisfactionAvg: number | null,
  satisfiedShare: number | null, p50: number | null, p90: number | null, compensation: Comp = {},
) {
  // No promise in this data set was ever extended (test/reports/promises.test.ts covers extensions): the first promise
  // is the promise in force, and no complaint counts as extended. Nor was any transferred, reopened by POST /reopen or
  // a repeat contact (test/reports/transfers.test.ts covers those), nor linked to an incident (test/reports/incidents.test.ts).
  return {
    received, closed, resolved, resolvedOnTheSpot, onTheSpotRate, withinDeadlineRate, escalated, escalationRate,
    maxLevel, reopened, reopenRate, followUpCoverage, satisfactionAvg, satisfiedShare,
    transfers: 0, sentBack: 0, repeatContactRate: received === 0 ? null : 0, incidentShare: received === 0 ? null : 0,
    withinOriginalPromiseRate: withinDeadlineRate, extendedRate: received === 0 ? null : 0, resolutionMinutes: { p50, p90 },
    compensation,
  }
}

const OCTOBER = 'from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z'
const EMPTY = f(0, 0, 0, 0, null, null, 0, null, 0, 0, null, null, null, null, null, null)

interface World {
  test: TestApp
  ann: TestUser
  bo: TestUser
  sue: TestUser
}

async function seed(t: Test): Promise<World> {
  const test = await setupApp(t, withReports)
  const { db, user } = test
  const ann = await user('agent', { name: 'Ann' })
  const bo = await user('agent', { name: 'Bo' })
  const sue = await user('supervisor', { name: 'Sue', level: 2 })
  const hook = await user('integration', { name: 'Shop' })
  const A = { id: ann.id, role: 'agent' }
  const B = { id: bo.id, role: 'agent' }
  const S = { id: sue.id, role: 'supervisor' }
  const I = { id: hook.id, role: 'integration' }
  const customer = await insertCustomer(db, 'Li Wei', '+8613800138000')
  const refund = (amount: number) => ({ summary: 'refunded', compensation: { kind: 'refund', amount, currency: 'CNY' } })
  const received = (at: string, actor = A) => ({ type: 'complaint.received', at, actor, data: { channel: 'phone' } })
  const logged = (at: string, actor = A) => ({ type: 'complaint.logged', at, actor })
  const followUp = (at: string, outcome: string, satisfaction?: number) =>
    ({ type: 'follow_up.recorded', at, actor: A, data: { outcome, ...(satisfaction ? { satisfaction } : {}) } })

  const complaints: SeedComplaint[] = [
    { // K0: a second before the period; open.
      reference: 'K0', createdAt: '2026-09-30T23:59:59Z', customerId: customer, category: 'delivery', team: 'north',
      region: 'east', product: 'kettle', state: 'logged', promisedBy: '2026-10-03T23:59:59Z',
      events: [received('2026-09-30T23:59:59Z'), logged('2026-09-30T23:59:59Z')],
    },
    { // K1: resolved on the spot in 30 min with a 50 refund, followed up satisfied (5), closed.
      reference: 'K1', createdAt: '2026-10-02T08:00:00Z', customerId: customer, category: 'delivery', team: 'north',
      region: 'east', product: 'kettle', state: 'closed', promisedBy: '2026-10-05T08:00:00Z', closedAt: '2026-10-03T09:00:00Z',
      events: [
        received('2026-10-02T08:00:00Z'), logged('2026-10-02T08:00:00Z'),
        { type: 'deadline.warning', at: '2026-10-02T08:10:00Z', actor: null },
        { type: 'complaint.resolved', at: '2026-10-02T08:30:00Z', actor: A, data: refund(50) },
        followUp('2026-10-03T09:00:00Z', 'satisfied', 5),
      ],
    },
    { // K2: escalated, resolved late (1440 min) with a 20 voucher, reopened (unsatisfied, 2) to level 2,
      // resolved again with a 100 refund, satisfied (4), closed.
      reference: 'K2', createdAt: '2026-10-03T10:00:00Z', customerId: customer, category: 'billing', severity: 'high',
      team: 'north', region: 'west', product: 'router', state: 'closed', promisedBy: '2026-10-03T18:00:00Z', level: 2,
      closedAt: '2026-10-07T10:00:00Z',
      events: [
        received('2026-10-03T10:00:00Z'), logged('2026-10-03T10:00:00Z'),
        { type: 'complaint.escalated', at: '2026-10-03T10:20:00Z', actor: A, data: { reason: 'over my limit' } },
        { type: 'escalation.acknowledged', at: '2026-10-03T10:30:00Z', actor: S },
        { type: 'complaint.resolved', at: '2026-10-04T10:00:00Z', actor: S, data: { summary: 'voucher', compensation: { kind: 'voucher', amount: 20, currency: 'CNY' } } },
        followUp('2026-10-05T10:00:00Z', 'unsatisfied', 2),
        { type: 'complaint.resolved', at: '2026-10-06T10:00:00Z', actor: S, data: refund(100) },
        followUp('2026-10-07T10:00:00Z', 'satisfied', 4),
      ],
    },
    { // K3: from a webhook, never logged; triage missed (level 1), resolved by the supervisor in 120 min without
      // compensation and with no promise made; three unreachable follow-ups, closed.
      reference: 'K3', createdAt: '2026-10-10T12:00:00Z', customerId: customer, channel: 'webhook', category: 'delivery',
      severity: 'urgent', team: 'south', region: 'east', product: 'kettle', state: 'closed', level: 1, createdBy: hook.id,
      closedAt: '2026-10-12T14:00:00Z',
      events: [
        received('2026-10-10T12:00:00Z', I),
        { type: 'deadline.triage_missed', at: '2026-10-10T13:00:00Z', actor: null },
        { type: 'complaint.resolved', at: '2026-10-10T14:00:00Z', actor: S, data: { summary: 'explained', compensation: null } },
        followUp('2026-10-11T14:00:00Z', 'unreachable'), followUp('2026-10-11T16:00:00Z', 'unreachable'),
        followUp('2026-10-12T14:00:00Z', 'unreachable'),
      ],
    },
    { // K4: logged by Bo, still open.
      reference: 'K4', createdAt: '2026-10-15T09:00:00Z', customerId: customer, channel: 'walk_in', category: 'quality',
      severity: 'low', team: 'south', region: 'west', product: null, state: 'logged', promisedBy: '2026-10-20T09:00:00Z',
      events: [received('2026-10-15T09:00:00Z', B), logged('2026-10-15T09:00:00Z', B)],
    },
    { // K5: Bo resolves on the spot in 60 min with a 25.50 refund; unsatisfied (1) reopens it at level 1; open.
      reference: 'K5', createdAt: '2026-10-20T09:00:00Z', customerId: customer, channel: 'email', category: 'quality',
      team: null, region: null, product: 'toaster', state: 'escalated', promisedBy: '2026-10-23T09:00:00Z', level: 1,
      events: [
        received('2026-10-20T09:00:00Z', B), logged('2026-10-20T09:00:00Z', B),
        { type: 'complaint.resolved', at: '2026-10-20T10:00:00Z', actor: B, data: refund(25.5) },
        { ...followUp('2026-10-21T10:00:00Z', 'unsatisfied', 1), actor: B },
      ],
    },
    { // K6: logged by Bo, withdrawn an hour later.
      reference: 'K6', createdAt: '2026-10-25T09:00:00Z', customerId: customer, category: 'delivery', team: 'south',
      region: 'east', product: null, state: 'closed', promisedBy: '2026-10-28T09:00:00Z', closedAt: '2026-10-25T10:00:00Z',
      closeReason: 'withdrawn',
      events: [
        received('2026-10-25T09:00:00Z', B), logged('2026-10-25T09:00:00Z', B),
        { type: 'complaint.note_added', at: '2026-10-25T09:30:00Z', actor: B, data: { text: 'will think about it' } },
        { type: 'complaint.withdrawn', at: '2026-10-25T10:00:00Z', actor: B, data: { reason: 'sorted it out' } },
      ],
    },
    { // K7: the response deadline is missed (level 1); resolved 60 min past the promise (240 min) with a voucher of no
      // amount; satisfied without a rating; closed.
      reference: 'K7', createdAt: '2026-10-28T09:00:00Z', customerId: customer, category: 'billing', team: 'north',
      region: 'east', product: 'router', state: 'closed', promisedBy: '2026-10-28T12:00:00Z', level: 1,
      closedAt: '2026-10-29T13:00:00Z',
      events: [
        received('2026-10-28T09:00:00Z'), logged('2026-10-28T09:00:00Z'),
        { type: 'deadline.response_missed', at: '2026-10-28T12:00:00Z', actor: null },
        { type: 'complaint.resolved', at: '2026-10-28T13:00:00Z', actor: S, data: { summary: 'voucher', compensation: { kind: 'voucher', amount: null, currency: null } } },
        followUp('2026-10-29T13:00:00Z', 'satisfied'),
      ],
    },
    { // K8: resolved on the spot in 10 min; follow-up not made yet. November already in Shanghai.
      reference: 'K8', createdAt: '2026-10-31T20:00:00Z', customerId: customer, category: 'delivery', team: 'north',
      region: 'east', product: 'kettle', state: 'follow_up', promisedBy: '2026-11-03T20:00:00Z',
      events: [
        received('2026-10-31T20:00:00Z'), logged('2026-10-31T20:00:00Z'),
        { type: 'complaint.resolved', at: '2026-10-31T20:10:00Z', actor: A, data: { summary: 'explained', compensation: null } },
      ],
    },
    { // K9: the first instant after the period; open.
      reference: 'K9', createdAt: '2026-11-01T00:00:00Z', customerId: customer, category: 'delivery', team: 'north',
      region: 'east', product: 'kettle', state: 'logged', promisedBy: '2026-11-04T00:00:00Z',
      events: [received('2026-11-01T00:00:00Z'), logged('2026-11-01T00:00:00Z')],
    },
  ]
  for (const complaint of complaints) await insertComplaint(db, complaint)
  return { test, ann, bo, sue }
}

// Figures shared by several groupings (the same complaints fall together).
const K1_to_K8 = f(8, 5, 6, 3, 0.5, 0.5, 3, 3 / 8, 2, 2, 2 / 6, 5 / 6, 10 / 3, 2 / 3, 90, 840,
  { refund: { count: 3, amount: 175.5 }, voucher: { count: 2, amount: 20 } })
const K2_K7 = f(2, 2, 2, 0, 0, 0, 2, 1, 2, 1, 0.5, 1, 4, 1, 840, 1320,
  { refund: { count: 1, amount: 100 }, voucher: { count: 2, amount: 20 } })
const K1_K2_K7_K8 = f(4, 3, 4, 2, 0.5, 0.5, 2, 0.5, 2, 1, 0.25, 0.75, 4.5, 1, 135, 1080,
  { refund: { count: 2, amount: 150 }, voucher: { count: 2, amount: 20 } })
const K5 = f(1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 60, 60, { refund: { count: 1, amount: 25.5 } })
const K3 = f(1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, null, null, 120, 120)
const K4 = f(1, 0, 0, 0, null, null, 0, 0, 0, 0, null, null, null, null, null, null)
const K2 = f(1, 1, 1, 0, 0, 0, 1, 1, 2, 1, 1, 1, 4, 1, 1440, 1440,
  { refund: { count: 1, amount: 100 }, voucher: { count: 1, amount: 20 } })
const OPEN_ONLY = f(1, 0, 0, 0, null, null, 0, 0, 0, 0, null, null, null, null, null, null)

// Each day is read from report_facts while it is noted dirty, from report_daily once rebuilt: both give every figure.
for (const source of ['report_facts', 'report_daily'] as const) {
t.test(`every figure of every grouping, worked out by hand (days read from ${source})`, async (t) => {
  const { test, ann, bo } = await seed(t)
  const get = async (query: string) => {
    // A rebuild the previous answer started in the background is waited for (it holds the lock), then every day of
    // the data set is noted dirty again, or none is. The report rows are rebuilt first, as the worker does (migration
    // 0035): their rebuild notes their days dirty.
    await refreshReportFacts(test.db)
    await refreshReportDays(test.db)
    if (source === 'report_facts') {
      await sql`insert into report_dirty_days (day) select generate_series('2026-09-01'::date, '2026-12-01'::date, interval '1 day')::date`.execute(test.db)
    } else {
      const { rows } = await sql<{ daily: number; dirty: number }>`
        select (select count(*) from report_daily) as daily, (select count(*) from report_dirty_days) as dirty`.execute(test.db)
      t.ok(rows[0]!.daily > 0 && rows[0]!.dirty === 0, 'report_daily is built and nothing is dirty')
    }
    const response = await test.call('GET', `/v1/reports/summary?${query}`, test.admin)
    t.equal(response.statusCode, 200, response.body)
    return response.json()
  }

  const ungrouped = await get(OCTOBER)
  t.same(ungrouped, {
    from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z', groupBy: null, tz: 'UTC', total: K1_to_K8, groups: [],
  })

  const expected: Record<string, { key: string | null; figures: ReturnType<typeof f>; name?: string | null }[]> = {
    category: [
      { key: 'billing', figures: K2_K7 },
      { key: 'delivery', figures: f(4, 3, 3, 2, 2 / 3, 2 / 3, 1, 1 / 4, 1, 0, 0, 2 / 3, 5, 1, 30, 102, { refund: { count: 1, amount: 50 } }) },
      { key: 'quality', figures: f(2, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 60, 60, { refund: { count: 1, amount: 25.5 } }) },
    ],
    channel: [
      { key: 'email', figures: K5 },
      { key: 'phone', figures: f(5, 4, 4, 2, 0.5, 0.5, 2, 0.4, 2, 1, 0.25, 0.75, 4.5, 1, 135, 1080,
        { refund: { count: 2, amount: 150 }, voucher: { count: 2, amount: 20 } }) },
      { key: 'walk_in', figures: K4 },
      { key: 'webhook', figures: K3 },
    ],
    severity: [
      { key: 'high', figures: K2 },
      { key: 'low', figures: K4 },
      { key: 'normal', figures: f(5, 3, 4, 3, 0.75, 0.75, 1, 0.2, 1, 1, 0.25, 0.75, 3, 0.5, 45, 186,
        { refund: { count: 2, amount: 75.5 }, voucher: { count: 1, amount: 0 } }) },
      { key: 'urgent', figures: K3 },
    ],
    team: [
      { key: 'north', figures: K1_K2_K7_K8 },
      { key: 'south', figures: f(3, 2, 1, 0, 0, 0, 1, 1 / 3, 1, 0, 0, 1, null, null, 120, 120) },
      { key: null, figures: K5 },
    ],
    region: [
      { key: 'east', figures: f(5, 4, 4, 2, 0.5, 0.5, 2, 0.4, 1, 0, 0, 0.75, 5, 1, 75, 204,
        { refund: { count: 1, amount: 50 }, voucher: { count: 1, amount: 0 } }) },
      { key: 'west', figures: f(2, 1, 1, 0, 0, 0, 1, 0.5, 2, 1, 1, 1, 4, 1, 1440, 1440,
        { refund: { count: 1, amount: 100 }, voucher: { count: 1, amount: 20 } }) },
      { key: null, figures: K5 },
    ],
    product: [
      { key: 'kettle', figures: f(3, 2, 3, 2, 2 / 3, 2 / 3, 1, 1 / 3, 1, 0, 0, 2 / 3, 5, 1, 30, 102, { refund: { count: 1, amount: 50 } }) },
      { key: 'router', figures: K2_K7 },
      { key: 'toaster', figures: K5 },
      { key: null, figures: f(2, 1, 0, 0, null, null, 0, 0, 0, 0, null, null, null, null, null, null) },
    ],
    agent: [
      ...[
        { key: ann.id, name: 'Ann', figures: K1_K2_K7_K8 },
        { key: bo.id, name: 'Bo', figures: f(3, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 60, 60, { refund: { count: 1, amount: 25.5 } }) },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
      { key: null, name: null, figures: K3 },
    ],
  }
  for (const [groupBy, groups] of Object.entries(expected)) {
    const report = await get(`${OCTOBER}&groupBy=${groupBy}`)
    t.same(report.total, K1_to_K8, `${groupBy}: the total is the ungrouped total`)
    t.same(report.groups, groups.map((g) => ({ key: g.key, ...('name' in g ? { name: g.name } : {}), ...g.figures })), `${groupBy}: every group`)
  }

  // Months of receipt: UTC, then Asia/Shanghai (UTC+8), over September to November.
  const autumn = 'from=2026-09-01T00:00:00Z&to=2026-12-01T00:00:00Z&groupBy=month'
  const utc = await get(autumn)
  t.same(utc.groups, [{ key: '2026-09', ...OPEN_ONLY }, { key: '2026-10', ...K1_to_K8 }, { key: '2026-11', ...OPEN_ONLY }])
  t.same(utc.total, f(10, 5, 6, 3, 0.5, 0.5, 3, 0.3, 2, 2, 2 / 6, 5 / 6, 10 / 3, 2 / 3, 90, 840,
    { refund: { count: 3, amount: 175.5 }, voucher: { count: 2, amount: 20 } }))
  const shanghai = await get(`${autumn}&tz=Asia/Shanghai`)
  t.equal(shanghai.tz, 'Asia/Shanghai')
  t.same(shanghai.groups, [
    { key: '2026-10', ...f(8, 5, 5, 2, 0.4, 0.4, 3, 3 / 8, 2, 2, 0.4, 1, 10 / 3, 2 / 3, 120, 960,
      { refund: { count: 3, amount: 175.5 }, voucher: { count: 2, amount: 20 } }) },
    { key: '2026-11', ...f(2, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, null, null, 10, 10) },
  ])

  // Half an hour off UTC (the month starts within a UTC hour), and behind UTC (K9 is still October in New York).
  t.same((await get(`${autumn}&tz=Asia/Kolkata`)).groups, shanghai.groups, 'Kolkata splits like Shanghai here')
  t.same((await get(`${autumn}&tz=America/New_York`)).groups, [
    { key: '2026-09', ...OPEN_ONLY },
    { key: '2026-10', ...f(9, 5, 6, 3, 0.5, 0.5, 3, 3 / 9, 2, 2, 2 / 6, 5 / 6, 10 / 3, 2 / 3, 90, 840,
      { refund: { count: 3, amount: 175.5 }, voucher: { count: 2, amount: 20 } }) },
  ])

  // Dates are midnight in tz: October in Shanghai is [09-30T16:00Z, 10-31T16:00Z): K0..K7, not K8.
  const local = await get('from=2026-10-01&to=2026-11-01&tz=Asia/Shanghai')
  t.equal(local.from, '2026-09-30T16:00:00.000Z')
  t.equal(local.to, '2026-10-31T16:00:00.000Z')
  t.same(local.total, f(8, 5, 5, 2, 0.4, 0.4, 3, 3 / 8, 2, 2, 0.4, 1, 10 / 3, 2 / 3, 120, 960,
    { refund: { count: 3, amount: 175.5 }, voucher: { count: 2, amount: 20 } }))

  // Period bounds: from is inclusive, to exclusive.
  t.same((await get('from=2026-09-30T23:59:59Z&to=2026-10-01T00:00:00Z')).total.received, 1, 'K0 at from is in')
  t.same((await get('from=2026-10-31T00:00:00Z&to=2026-11-01T00:00:00Z')).total.received, 1, 'K9 at to is out')
})
}

t.test('an empty period answers zeros and nulls, in JSON and CSV', async (t) => {
  const { test } = await seed(t)
  for (const groupBy of ['', '&groupBy=category', '&groupBy=month', '&groupBy=agent']) {
    const response = await test.call('GET', `/v1/reports/summary?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z${groupBy}`, test.admin)
    t.equal(response.statusCode, 200)
    t.same(response.json().total, EMPTY)
    t.same(response.json().groups, [])
  }
  const csv = await test.call('GET', '/v1/reports/summary?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z&groupBy=team', test.admin,
    undefined, { accept: 'text/csv' })
  t.equal(csv.statusCode, 200)
  t.same(summaryFromCsv(csv.body), { total: EMPTY, groups: [] })
})

t.test('the CSV parses back to the JSON, for every grouping', async (t) => {
  const { test } = await seed(t)
  for (const groupBy of ['', 'category', 'channel', 'severity', 'team', 'region', 'product', 'agent', 'month', 'incident']) {
    const url = `/v1/reports/summary?from=2026-09-01T00:00:00Z&to=2026-12-01T00:00:00Z${groupBy ? `&groupBy=${groupBy}` : ''}`
    const json = (await test.call('GET', url, test.admin)).json()
    const csv = await test.call('GET', url, test.admin, undefined, { accept: 'text/csv' })
    t.equal(csv.statusCode, 200)
    t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8; header=present')
    t.match(csv.headers['content-disposition'], /^attachment; filename="summary_2026-09-01_2026-12-01.*\.csv"$/)
    t.equal(csv.headers.vary, 'accept')
    t.ok(csv.body.endsWith('\r\n'))
    t.same(summaryFromCsv(csv.body), { total: json.total, groups: json.groups }, `groupBy=${groupBy || '(none)'}`)
    t.equal(csv.body.trimEnd().split('\r\n').length, 2 + json.groups.length, 'header, total, one row per group')
  }
  const header = (await test.call('GET', `/v1/reports/summary?${OCTOBER}&groupBy=category`, test.admin, undefined, { accept: 'text/csv' }))
    .body.split('\r\n')[0]
  t.equal(header, 'row,key,received,closed,resolved,resolvedOnTheSpot,onTheSpotRate,withinDeadlineRate,escalated,' +
    'escalationRate,maxLevel,reopened,reopenRate,followUpCoverage,satisfactionAvg,satisfiedShare,withinOriginalPromiseRate,' +
    'extendedRate,transfers,sentBack,repeatContactRate,incidentShare,resolutionMinutes.p50,' +
    'resolutionMinutes.p90,compensation.refund.count,compensation.refund.amount,compensation.voucher.count,compensation.voucher.amount')

  // Values a spreadsheet would run as formulas are guarded, and still come back exactly.
  await sql`update complaints set category = '=HYPERLINK("x","y"), ok' where reference = 'K4'`.execute(test.db)
  await sql`insert into complaint_events (complaint_id, seq, type, actor_role, at)
    select id, 3, 'complaint.escalated', 'system', '2026-10-16T00:00:00Z' from complaints where reference = 'K4'`.execute(test.db)
  const url = `/v1/reports/summary?${OCTOBER}&groupBy=category`
  const json = (await test.call('GET', url, test.admin)).json()
  t.ok(json.groups.some((g: { key: string }) => g.key === '=HYPERLINK("x","y"), ok'))
  const csv = (await test.call('GET', url, test.admin, undefined, { accept: 'text/csv' })).body
  t.match(csv, /\r\ngroup,"'=HYPERLINK\(""x"",""y""\), ok",/)
  t.same(summaryFromCsv(csv), { total: json.total, groups: json.groups })
})

t.test('Accept negotiation: JSON unless text/csv is preferred', async (t) => {
  const { test } = await seed(t)
  const type = async (accept: string) =>
    (await test.call('GET', `/v1/reports/summary?${OCTOBER}`, test.admin, undefined, { accept })).headers['content-type']
  t.match(await type('text/csv'), /^text\/csv/)
  t.match(await type('text/csv, application/json;q=0.5'), /^text\/csv/)
  t.match(await type('application/json;q=0.5, text/csv'), /^text\/csv/)
  t.match(await type('*/*, text/csv'), /^text\/csv/)
  t.match(await type('application/json, text/csv'), /^application\/json/)
  t.match(await type('text/csv;q=0.2, application/json'), /^application\/json/)
  t.match(await type('text/csv;q=0'), /^application\/json/)
  t.match(await type('*/*'), /^application\/json/)
  t.match(await type('text/html'), /^application\/json/)
})

t.test('bad from, to, groupBy or tz: 400 validation_failed naming the field', async (t) => {
  const { test } = await seed(t)
  const refused = async (query: string, field: string) => {
    const response = await test.call('GET', `/v1/reports/summary?${query}`, test.admin)
    t.equal(response.statusCode, 400, query)
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(response.json().code, 'validation_failed')
    t.ok(response.json().errors.some((e: { field: string }) => e.field === field), `${query}: ${field} in ${response.body}`)
  }
  await refused('to=2026-11-01T00:00:00Z', 'querystring.from')
  await refused('from=2026-10-01T00:00:00Z', 'querystring.to')
  await refused('from=yesterday&to=2026-11-01T00:00:00Z', 'querystring.from')
  await refused('from=2026-10-01T00:00:00Z&to=2026-13-01T00:00:00Z', 'querystring.to')
  await refused('from=2026-10-01T00:00:00&to=2026-11-01T00:00:00Z', 'querystring.from')
  await refused('from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z', 'querystring.to')
  await refused('from=2026-10-01T00:00:00Z&to=2026-10-01T00:00:00Z', 'querystring.to')
  await refused(`${OCTOBER}&groupBy=colour`, 'querystring.groupBy')
  await refused(`${OCTOBER}&tz=Mars/Olympus`, 'querystring.tz')
  await refused(`${OCTOBER}&colour=red`, 'querystring.colour')
})

t.test('admins and supervisors read reports; agents and integrations may not', async (t) => {
  const { test, ann, sue } = await seed(t)
  const hook = await test.user('integration')
  for (const url of [`/v1/reports/summary?${OCTOBER}`, '/v1/reports/repeat-complainants']) {
    t.equal((await test.call('GET', url, test.admin)).statusCode, 200, `admin ${url}`)
    t.equal((await test.call('GET', url, sue)).statusCode, 200, `supervisor ${url}`)
    const asAgent = await test.call('GET', url, ann)
    t.equal(asAgent.statusCode, 403)
    t.equal(asAgent.json().code, 'forbidden')
    t.equal((await test.call('GET', url, hook)).json().code, 'forbidden')
    t.equal((await test.call('GET', url, null)).json().code, 'unauthorized')
  }
})

t.test('withinDeadline keeps the promise in force when the complaint was first resolved', async (t) => {
  const { test } = await seed(t)
  // As the worker does within REPORT_REFRESH_EVERY of the seed's transitions (migration 0035).
  await refreshReportFacts(test.db)
  // K8 was resolved 10 minutes after receipt, well within its promise. Moving the promise afterwards (and appending
  // an event that refreshes the row) does not change that verdict; K4, not yet resolved, takes its new promise.
  await sql`update complaints set promised_by = '2026-10-01T00:00:00Z' where reference in ('K8', 'K4')`.execute(test.db)
  await sql`insert into complaint_events (complaint_id, seq, type, actor_role, at, data)
    select id, 4, 'follow_up.recorded', 'system', '2026-11-02T00:00:00Z', '{"outcome":"unreachable"}' from complaints where reference = 'K8'`
    .execute(test.db)
  await sql`insert into complaint_events (complaint_id, seq, type, actor_role, at, data)
    select id, 3, 'complaint.resolved', 'system', '2026-10-16T00:00:00Z', '{"compensation":null}' from complaints where reference = 'K4'`
    .execute(test.db)
  const groups = (await test.call('GET', `/v1/reports/summary?${OCTOBER}&groupBy=severity`, test.admin)).json().groups
  const low = groups.find((g: { key: string }) => g.key === 'low')
  t.equal(low.withinDeadlineRate, 0, 'K4 resolved after its (new) promise')
  const normal = groups.find((g: { key: string }) => g.key === 'normal')
  t.equal(normal.withinDeadlineRate, 0.75, 'K8 still within')
  t.equal(normal.followUpCoverage, 1, 'K8 followed up now')
})

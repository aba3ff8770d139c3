// groupBy=day: one group per day of receipt in tz. Five complaints around day boundaries of UTC, Asia/Shanghai (UTC+8)
// and Asia/Kolkata (UTC+5:30, whose days start within a UTC hour); each day's group must be exactly the report of
// that one day asked on its own, whether the days are read from report_facts (noted dirty) or report_daily (rebuilt).
import { sql } from 'kysely'
import t from 'tap'
import { refreshReportDays } from '../../src/reports/summary.js'
import { setupApp } from '../helpers/app.js'
import { insertComplaint, insertCustomer, withReports } from './fixtures/support.js'

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

t.test('groupBy=day: days of receipt in tz, each the report of that day alone', async (t) => {
  const test = await setupApp(t, withReports)
  const { db, call, admin } = test
  const ann = await test.user('agent', { name: 'Ann' })
  const A = { id: ann.id, role: 'agent' }
  const customer = await insertCustomer(db, 'Li Wei', '+8613800138000')
  const seed = async (reference: string, at: string, resolvedAt?: string) => insertComplaint(db, {
    reference, createdAt: at, customerId: customer, category: 'delivery', state: resolvedAt ? 'follow_up' : 'logged',
    promisedBy: new Date(Date.parse(at) + 3 * 86_400_000).toISOString(),
    events: [
      { type: 'complaint.received', at, actor: A, data: { channel: 'phone' } },
      { type: 'complaint.logged', at, actor: A },
      ...(resolvedAt ? [{ type: 'complaint.resolved', at: resolvedAt, actor: A, data: { summary: 'done', compensation: null } }] : []),
    ],
  })
  await seed('D1', '2026-10-01T15:59:59Z') // Shanghai 10-01 23:59:59
  await seed('D2', '2026-10-01T16:00:00Z') // Shanghai 10-02 00:00
  await seed('D3', '2026-10-02T10:00:00Z', '2026-10-02T10:30:00Z') // resolved on the spot
  await seed('D4', '2026-10-04T18:20:00Z') // Kolkata 10-04 23:50
  await seed('D5', '2026-10-04T18:40:00Z') // Kolkata 10-05 00:10

  const period = 'from=2026-09-30&to=2026-10-07'
  let source: 'report_facts' | 'report_daily' = 'report_facts'
  const get = async (query: string) => {
    // A rebuild the previous answer started in the background is waited for (it holds the lock), then every day is
    // noted dirty again (read from report_facts), or none is (read from report_daily).
    await refreshReportDays(db)
    if (source === 'report_facts') {
      await sql`insert into report_dirty_days (day) select generate_series('2026-09-28'::date, '2026-10-08'::date, interval '1 day')::date`.execute(db)
    }
    const response = await call('GET', `/v1/reports/summary?${query}`, admin)
    t.equal(response.statusCode, 200, `answered (${response.statusCode === 200 ? 'ok' : response.body})`)
    return response.json() as { total: Record<string, unknown>; groups: ({ key: string; received: number; resolvedOnTheSpot: number } & Record<string, unknown>)[] }
  }
  const expected: Record<string, [day: string, received: number][]> = {
    UTC: [['2026-10-01', 2], ['2026-10-02', 1], ['2026-10-04', 2]],
    'Asia/Shanghai': [['2026-10-01', 1], ['2026-10-02', 2], ['2026-10-05', 2]],
    'Asia/Kolkata': [['2026-10-01', 2], ['2026-10-02', 1], ['2026-10-04', 1], ['2026-10-05', 1]],
  }
  for (source of ['report_facts', 'report_daily'] as const) {
    for (const [tz, days] of Object.entries(expected)) {
      const report = await get(`${period}&tz=${tz}&groupBy=day`)
      t.same(report.groups.map((g) => [g.key, g.received]), days, `${tz} (${source}): one group per day with complaints`)
      for (const group of report.groups) {
        const alone = await get(`from=${group.key}&to=${nextDay(group.key)}&tz=${tz}`)
        const { key: _key, ...figures } = group
        t.same(figures, alone.total, `${tz} (${source}) ${group.key}: the day's report on its own`)
      }
      t.same(report.total, (await get(`${period}&tz=${tz}`)).total, `${tz} (${source}): the total is the ungrouped total`)
    }
  }
  const shanghai = await get(`${period}&tz=Asia/Shanghai&groupBy=day`)
  t.equal(shanghai.groups.find((g) => g.key === '2026-10-02')?.resolvedOnTheSpot, 1, 'D3 resolved on the spot, on its day')

  const csv = await call('GET', `/v1/reports/summary?${period}&groupBy=day`, admin, undefined, { accept: 'text/csv' })
  t.equal(csv.statusCode, 200)
  t.match(csv.body, /\r?\ngroup,2026-10-01,/, 'the CSV has a row per day')

  const long = await call('GET', '/v1/reports/summary?from=2025-01-01&to=2026-01-03&groupBy=day', admin)
  t.equal(long.statusCode, 400, 'at most 366 days by day')
  t.equal(long.json().code, 'validation_failed')
  t.equal((await call('GET', '/v1/reports/summary?from=2025-01-01&to=2026-01-02&groupBy=day', admin)).statusCode, 200, '366 days are fine')
  t.equal((await call('GET', '/v1/reports/summary?from=2025-01-01&to=2026-01-03&groupBy=month', admin)).statusCode, 200, 'other groupings are not limited')
})

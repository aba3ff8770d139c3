// groupBy=incident and incidentShare, from complaints linked and unlinked through the API, read both from the raw
// report rows (days noted dirty) and from the daily roll-up once it is refreshed.
import { sql } from 'kysely'
import t from 'tap'
import { refreshReportDays } from '../../src/reports/summary.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { withReports } from './fixtures/support.js'

t.test('incidentShare and one group per incident, the same before and after the daily roll-up', async (t) => {
  const now = Date.parse('2026-11-02T01:00:00Z')
  const { call, user, admin, db } = await setupApp(t, { ...withReports, clock: () => new Date(now) })
  const agent = await user('agent')
  const lead = await user('supervisor')
  const create = async (phone: string) => (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone } }))).json() as { id: string }
  const [a, b, c, d, e] = [await create('+86 138 0013 6001'), await create('+86 138 0013 6002'), await create('+86 138 0013 6003'),
    await create('+86 138 0013 6004'), await create('+86 138 0013 6005')]
  const flood = (await call('POST', '/v1/incidents', lead, { title: 'Depot flooded' })).json()
  const outage = (await call('POST', '/v1/incidents', lead, { title: 'Router outage' })).json()
  await call('POST', `/v1/incidents/${flood.id}/complaints`, agent, { complaintIds: [a.id, b.id] })
  await call('POST', `/v1/incidents/${outage.id}/complaints`, agent, { complaintIds: [c.id, d.id] })
  // Unlinked again: it no longer counts as linked.
  t.equal((await call('DELETE', `/v1/incidents/${outage.id}/complaints/${d.id}`, agent)).statusCode, 200)
  t.ok(e)

  const url = '/v1/reports/summary?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z&groupBy=incident'
  const check = async (label: string) => {
    const report = (await call('GET', url, admin)).json()
    t.match(report.total, { received: 5, incidentShare: 3 / 5 }, `${label}: three of five linked`)
    t.same(report.groups.map((g: { key: string | null; name: string | null; received: number; incidentShare: number }) =>
      [g.key, g.name, g.received, g.incidentShare]), [
      ...[[flood.id, `${flood.reference} Depot flooded`, 2, 1], [outage.id, `${outage.reference} Router outage`, 1, 1]]
        .sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
      [null, null, 2, 0],
    ], `${label}: a group per incident, named by its reference and title; those without one last`)
    const csv = await call('GET', url, admin, undefined, { accept: 'text/csv' })
    const [header, total] = csv.body.trim().split('\r\n').map((line) => line.split(','))
    t.equal(header![2], 'name', `${label}: the CSV names the incidents`)
    t.equal(total![header!.indexOf('incidentShare')], '0.6')
  }
  await check('from the report rows')
  await refreshReportDays(db)
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from report_dirty_days`.execute(db)
  t.equal(rows[0]!.n, 0, 'the day is rolled up: the next report reads report_daily')
  await check('from the daily roll-up')
  const plain = (await call('GET', '/v1/reports/summary?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z', admin)).json()
  t.equal(plain.total.incidentShare, 3 / 5, 'without a grouping too')
})

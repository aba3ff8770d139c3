// groupBy=incident and incidentShare, from complaints linked and unlinked through the API, read both from the raw
// report rows (days noted dirty) and from the daily roll-up once it is refreshed.
import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator, sql } from 'kysely'
import t from 'tap'
import { createDb } from '../../src/db/database.js'
import { ensureDatabase, migrateToLatest, MIGRATIONS_FOLDER } from '../../src/db/migrate.js'
import { refreshReportDays, summaryReport } from '../../src/reports/summary.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { databaseUrl, withAdminClient } from '../helpers/databases.js'
import { insertComplaint, insertCustomer, withReports } from './fixtures/support.js'

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

t.test('days rolled up before migration 0024 answer groupBy=incident from the roll-up, every complaint under null', async (t) => {
  const name = `hotline_t_${process.pid}_inc_${randomBytes(3).toString('hex')}`
  t.teardown(() => withAdminClient((c) => c.query(`drop database if exists ${name} with (force)`)))
  await ensureDatabase(databaseUrl(name))
  const db = createDb(databaseUrl(name), { max: 2 })
  t.teardown(() => db.destroy())
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_FOLDER }) })
  t.equal((await migrator.migrateTo('2026-11-28T0022_report_transfers_reopen')).error, undefined, 'migrated to before incidents')
  const customerId = await insertCustomer(db, 'Li Wei', '+86 138 0013 6101')
  for (let i = 0; i < 3; i++) {
    const at = `2026-10-05T0${i}:00:00.000Z`
    await insertComplaint(db, {
      reference: `K${i}`, createdAt: at, customerId, category: 'delivery', state: 'logged',
      events: [{ type: 'complaint.received', at, actor: null }, { type: 'complaint.logged', at, actor: null }],
    })
  }
  t.ok(await refreshReportDays(db) > 0, 'the day is rolled up before the migration')
  await migrateToLatest(db)
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from report_dirty_days`.execute(db)
  t.equal(rows[0]!.n, 0, 'the migration leaves no day to read again')
  const { report } = await summaryReport(db, { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z'), groupBy: 'incident', tz: 'UTC' })
  t.same(report.groups.map((g) => [g.key, g.name, g.received, g.incidentShare]), [[null, null, 3, 0]])
  t.match(report.total, { received: 3, incidentShare: 0 })
})

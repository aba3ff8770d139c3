import { sql } from 'kysely'
import t from 'tap'
import { refreshReportFacts } from '../../src/reports/facts-refresh.js'
import { setupApp } from '../helpers/app.js'
import { insertComplaint, insertCustomer, withReports, type SeedEvent } from './fixtures/support.js'

// Migration 0016 (kept by 0035, where the refresh moved out of the writing statement): a complaint whose history rows
// appended since its last refresh are only escalations has `escalated` and `level` of its report row set in place
// instead of the row rebuilt from its whole history. Whatever path a row took, it must be the
// row report_facts_refresh builds.
t.test('report rows after escalations are the rows a full rebuild gives', async (t) => {
  const test = await setupApp(t, withReports)
  const { db } = test
  const agent = await test.user('agent')
  const A = { id: agent.id, role: 'agent' }
  const customer = await insertCustomer(db, 'Li Wei', '+8613800138000')
  const opened = (at: string): SeedEvent[] => [
    { type: 'complaint.received', at, actor: A, data: { channel: 'phone' } },
    { type: 'complaint.logged', at, actor: A },
  ]
  const complaint = (reference: string, state: string, events: SeedEvent[], level?: number) =>
    insertComplaint(db, { reference, createdAt: events[0]!.at, customerId: customer, category: 'delivery', state,
      promisedBy: '2026-10-02T08:00:00Z', ...(level ? { level } : {}), events })
  const logged = await complaint('E1', 'logged', opened('2026-10-01T08:00:00Z'))
  const resolved = await complaint('E2', 'follow_up', [...opened('2026-10-01T08:00:00Z'),
    { type: 'complaint.resolved', at: '2026-10-01T08:10:00Z', actor: A,
      data: { summary: 'refunded', compensation: { kind: 'refund', amount: 20, currency: 'CNY' } } }])
  const escalated = await complaint('E3', 'escalated', [...opened('2026-10-01T08:00:00Z'),
    { type: 'complaint.escalated', at: '2026-10-01T08:05:00Z', actor: A, data: { reason: 'over my limit' } }], 1)
  const unreported = await complaint('E4', 'logged', opened('2026-10-03T08:00:00Z'))
  const followed = await complaint('E5', 'follow_up', [...opened('2026-10-01T08:00:00Z'),
    { type: 'complaint.resolved', at: '2026-10-01T08:10:00Z', actor: A, data: { summary: 'fixed' } }])
  await refreshReportFacts(db)
  await sql`delete from report_facts where complaint_id = ${unreported}`.execute(db)
  await sql`delete from report_dirty_days`.execute(db)

  // As a timer batch writes them: the complaints' rows first, then every history row in one statement.
  const levels: [string, number][] = [[logged, 1], [resolved, 1], [escalated, 2], [unreported, 1]]
  for (const [id, level] of levels) {
    await sql`update complaints set state = 'escalated', escalation = ${JSON.stringify({ level, reason: 'missed', assigneeId: null,
      acknowledgedAt: null, ackDueAt: null })}::jsonb where id = ${id}`.execute(db)
  }
  // A grouping value changed with the row (no transition does so today; the rows must follow whatever the row says).
  await sql`update complaints set team = 'south', product = 'kettle' where id = ${logged}`.execute(db)
  const row = (id: string, seq: number, type: string, data: object = {}) =>
    sql`(${id}::uuid, ${seq}, ${type}, 'system', '2026-10-02T09:00:00Z'::timestamptz, ${JSON.stringify(data)}::jsonb)`
  await sql`insert into complaint_events (complaint_id, seq, type, actor_role, at, data) values
    ${sql.join([
      row(logged, 3, 'deadline.response_missed'), row(logged, 4, 'escalation.assigned'),
      row(resolved, 4, 'complaint.escalated', { reason: 'customer called back' }),
      row(escalated, 4, 'deadline.ack_missed'), row(escalated, 5, 'complaint.note_added'),
      row(unreported, 3, 'deadline.response_missed'),
      row(followed, 4, 'follow_up.recorded', { outcome: 'satisfied', satisfaction: 4 }),
    ])}`.execute(db)

  const facts = async () => (await sql<Record<string, unknown>>`select * from report_facts order by complaint_id`.execute(db)).rows
  // Migration 0035: the rows are rebuilt by the next refresh, not in the writing statement.
  t.equal(await refreshReportFacts(db), 5, 'one note per complaint the statement touched')
  const written = await facts()
  const of = (id: string) => written.find((f) => f.complaintId === id)!
  t.same([of(logged).escalated, of(logged).level], [true, 1], 'a missed response: escalated at level 1')
  t.same([of(logged).team, of(logged).product], ['south', 'kettle'], 'the grouping values as the complaint\'s row has them')
  t.same([of(resolved).onTheSpot, of(resolved).escalated], [true, true], 'resolved on the spot before it escalated: still on the spot')
  t.equal(of(escalated).level, 2, 'a missed acknowledgement: one level higher')
  t.ok(of(unreported), 'a complaint without a report row gets one, built whole')
  t.equal(of(followed).satisfaction, 4, 'a follow-up call in the same statement: rebuilt whole')
  const { rows: dirty } = await sql<{ day: string }>`select distinct day::text from report_dirty_days order by 1`.execute(db)
  t.same(dirty.map((d) => d.day), ['2026-10-01', '2026-10-03'], 'the days of every complaint touched are noted dirty')

  await sql`select report_facts_refresh(array(select id from complaints))`.execute(db)
  t.same(await facts(), written, 'every row as report_facts_refresh builds it')
})

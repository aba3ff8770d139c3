import { sql } from 'kysely'
import pino from 'pino'
import t, { type Test } from 'tap'
import type { Db } from '../../src/db/database.js'
import { startRefreshLoop } from '../../src/housekeeping/refresh-loop.js'
import { refreshReportFacts } from '../../src/reports/facts-refresh.js'
import { aComplaint } from '../helpers/app.js'
import { setupApp } from '../helpers/app.js'
import { raceDatabase, raceWithRefresher } from '../helpers/refresh-race.js'

// Migration 0035: a transition notes its complaint in report_facts_pending; the worker's loop and every report rebuild
// the noted rows in batches. What must hold: nothing noted is lost, whatever commits while a refresh runs.

const pending = async (db: Db) => Number((await sql<{ n: string }>`select count(*) as n from report_facts_pending`.execute(db)).rows[0]!.n)
const factsOf = async (db: Db) =>
  (await sql<Record<string, unknown>>`select * from report_facts order by complaint_id`.execute(db)).rows

async function until(t: Test, what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.fail(`never: ${what}`)
}

t.test('a transition notes its complaint; the worker\'s loop rebuilds its report row', async (t) => {
  const { call, user, db, redis, prefix } = await setupApp(t)
  const agent = await user('agent')
  const created = await call('POST', '/v1/complaints', agent, aComplaint())
  t.equal(created.statusCode, 201)
  const { id } = created.json()
  t.equal(await pending(db), 1, 'an intake (received and logged, one statement) leaves one note')
  t.same((await sql`select 1 from report_facts where complaint_id = ${id}`.execute(db)).rows, [], 'no report row yet')
  t.equal((await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'called back, no answer' })).statusCode, 200)
  t.equal(await pending(db), 1, 'a note changes no figure: no note for the report')

  const loop = startRefreshLoop({ db, redis, prefix, everyMs: 50, logger: pino({ level: 'silent' }) })
  t.teardown(() => loop.close())
  await until(t, 'the note is taken', async () => (await pending(db)) === 0)
  const row = (await sql<{ closed: boolean; onTheSpot: boolean | null }>`select closed, on_the_spot from report_facts where complaint_id = ${id}`
    .execute(db)).rows
  t.same(row, [{ closed: false, onTheSpot: false }], 'the row is built')

  t.equal((await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'replaced the kettle' })).statusCode, 200)
  await until(t, 'the resolve is in the row', async () =>
    (await sql<{ onTheSpot: boolean }>`select on_the_spot from report_facts where complaint_id = ${id}`.execute(db)).rows[0]?.onTheSpot === true)
  t.equal(await pending(db), 0)
})

t.test('what commits while refreshes run is never lost: the rows end as a full rebuild gives them', async (t) => {
  const { db, ids, at } = await raceDatabase(t, 1)
  await refreshReportFacts(db)

  // Four writers append figure-changing history to the same complaints (each complaint's rows in order, under its row
  // lock, as transitions do), while a refresher runs as fast as it can, in batches small enough to be cut mid-stream.
  const ROUNDS = 25
  const writer = async (w: number) => {
    for (let r = 0; r < ROUNDS; r++) {
      const id = ids[(w * 7 + r) % ids.length]!
      await db.transaction().execute(async (trx) => {
        await sql`select 1 from complaints where id = ${id} for update`.execute(trx)
        const { rows } = await sql<{ seq: number }>`select coalesce(max(seq), 0) + 1 as seq from complaint_events where complaint_id = ${id}`.execute(trx)
        const seq = rows[0]!.seq
        const type = r % 3 === 0 ? 'complaint.escalated' : r % 3 === 1 ? 'complaint.resolved' : 'follow_up.recorded'
        const data = type === 'follow_up.recorded' ? { outcome: 'satisfied', satisfaction: 1 + ((w + r) % 5) }
          : type === 'complaint.resolved' ? { summary: 'fixed', compensation: { kind: 'voucher', amount: w + r, currency: 'CNY' } }
            : { reason: 'over my limit' }
        await sql`update complaints set escalation = ${JSON.stringify({ level: 1 + (r % 3), reason: 'x', assigneeId: null,
          acknowledgedAt: null, ackDueAt: null })}::jsonb, state = ${r % 2 === 0 ? 'escalated' : 'closed'} where id = ${id}`.execute(trx)
        await sql`insert into complaint_events (complaint_id, seq, type, actor_role, at, data)
          values (${id}, ${seq}, ${type}, 'system', ${new Date(Date.parse(at) + seq * 60_000).toISOString()}, ${JSON.stringify(data)}::jsonb)`.execute(trx)
      })
    }
  }
  const refreshes = await raceWithRefresher(4, writer, () => refreshReportFacts(db, 3))
  t.ok(refreshes > 1, `${refreshes} refreshes ran while the writers wrote`)

  await refreshReportFacts(db)
  t.equal(await pending(db), 0, 'every note taken')
  const incremental = await factsOf(db)
  await sql`select report_facts_refresh(array(select id from complaints))`.execute(db)
  t.same(incremental, await factsOf(db), 'every row as a full rebuild makes it')
})

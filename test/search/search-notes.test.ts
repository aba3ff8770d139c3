import { sql } from 'kysely'
import pino from 'pino'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { startRefreshLoop } from '../../src/housekeeping/refresh-loop.js'
import { refreshSearchRows } from '../../src/search/search-refresh.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { raceDatabase, raceWithRefresher } from '../helpers/refresh-race.js'
import { waitFor } from '../helpers/worker.js'

// Migration 0037: the triggers note a changed complaint in complaint_search_pending; the worker's loop and every search
// build the noted search rows in batches. What must hold: a search finds what committed before it, with or without a
// worker, and nothing noted is lost whatever commits while a refresh runs.

const pending = async (db: Db) => Number((await sql<{ n: string }>`select count(*) as n from complaint_search_pending`.execute(db)).rows[0]!.n)
const searchRowOf = async (db: Db, id: string) =>
  (await sql<{ title: string }>`select title from complaint_search where complaint_id = ${id}`.execute(db)).rows[0]
const rowsOf = async (db: Db) =>
  (await sql<Record<string, unknown>>`select complaint_id, created_at, title, body, tokens from complaint_search order by complaint_id`.execute(db)).rows

t.test('an intake notes its complaint; a search builds the row before it reads, and so does the worker\'s loop', async (t) => {
  const { call, user, db, redis, prefix } = await setupApp(t)
  const agent = await user('agent')
  const created = await call('POST', '/v1/complaints', agent, aComplaint({ summary: '快递员态度差', customer: { name: 'Zhou Min', phone: '+86 138 0013 9001' } }))
  t.equal(created.statusCode, 201)
  const { id } = created.json() as { id: string }
  t.equal(await pending(db), 1, 'the intake leaves one note')
  t.equal(await searchRowOf(db, id), undefined, 'and no search row: the intake did not build it')

  const found = await call('GET', `/v1/complaints?q=${encodeURIComponent('快递')}`, agent)
  t.same(found.json().items.map((c: { id: string }) => c.id), [id], 'a search right after the intake finds it (no worker runs)')
  t.equal(await pending(db), 0, 'the search took the note')
  const similar = await call('GET', `/v1/complaints/${id}/similar`, agent)
  t.equal(similar.statusCode, 200, 'the similar complaints read the same rows')

  // Changes go through notes too: a renamed customer, a note on the complaint.
  const loop = startRefreshLoop({ db, redis, prefix, everyMs: 50, logger: pino({ level: 'silent' }) })
  t.teardown(() => loop.close())
  await sql`update customers set name = 'Zhou Minghui' where id = (select customer_id from complaints where id = ${id})`.execute(db)
  await waitFor(async () => (await searchRowOf(db, id))?.title.includes('zhou minghui'), 15_000, 'the loop builds the renamed customer into the row')
  t.equal((await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'courier was rude again' })).statusCode, 200)
  await waitFor(async () => (await pending(db)) === 0 &&
    (await sql<{ body: string }>`select body from complaint_search where complaint_id = ${id}`.execute(db)).rows[0]?.body.includes('courier was rude again'),
  15_000, 'the loop builds the note into the row')
  const byNote = await call('GET', '/v1/complaints?q=courier', agent)
  t.same(byNote.json().items.map((c: { id: string }) => c.id), [id], 'found by its note')
})

t.test('what commits while refreshes run is never lost: the rows end as a full rebuild gives them', async (t) => {
  const { db, ids, at } = await raceDatabase(t, 2)
  await refreshSearchRows(db)

  // Four writers change what the rows are made of (a summary, a note, a customer's name), each complaint under its
  // row lock as transitions do, while a refresher runs as fast as it can in batches small enough to be cut mid-stream.
  const ROUNDS = 25
  const writer = async (w: number) => {
    for (let r = 0; r < ROUNDS; r++) {
      const id = ids[(w * 7 + r) % ids.length]!
      await db.transaction().execute(async (trx) => {
        await sql`select 1 from complaints where id = ${id} for update`.execute(trx)
        if (r % 3 === 0) {
          await sql`update complaints set summary = ${`summary ${w} ${r}`} where id = ${id}`.execute(trx)
        } else if (r % 3 === 1) {
          const { rows } = await sql<{ seq: number }>`select coalesce(max(seq), 0) + 1 as seq from complaint_events where complaint_id = ${id}`.execute(trx)
          await sql`insert into complaint_events (complaint_id, seq, type, actor_role, at, data)
            values (${id}, ${rows[0]!.seq}, 'complaint.note_added', 'agent', ${at}, ${JSON.stringify({ text: `note ${w} ${r}` })}::jsonb)`.execute(trx)
        } else {
          await sql`update customers set name = ${`Customer ${w} ${r}`} where id = (select customer_id from complaints where id = ${id})`.execute(trx)
        }
      })
    }
  }
  const refreshes = await raceWithRefresher(4, writer, () => refreshSearchRows(db, 3))
  t.ok(refreshes > 1, `${refreshes} refreshes ran while the writers wrote`)

  await refreshSearchRows(db)
  t.equal(await pending(db), 0, 'every note taken')
  const incremental = await rowsOf(db)
  await sql`select complaint_search_refresh(array(select id from complaints))`.execute(db)
  t.same(incremental, await rowsOf(db), 'every row as a full rebuild makes it')
  t.equal(incremental.length, ids.length)
})

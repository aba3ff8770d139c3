import pg from 'pg'
import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'

// A command that waits for a complaint's row lock must see the timers the transaction holding it armed or cancelled:
// a statement that waits on a lock reads the row as the other left it, but its subqueries keep the snapshot from
// before the wait. Here a transaction holds the lock and arms a response deadline while "await customer" waits: the
// pause must set that deadline aside too, and the answer must show what the database holds.
t.test('a command that waited for the lock sees the timers the holder armed', async (t) => {
  const { call, user, databaseUrl, db } = await setupApp(t)
  const agent = await user('agent')
  const created = await call('POST', '/v1/complaints', agent, aComplaint())
  t.equal(created.statusCode, 201)
  const id = created.json().id as string

  const blocker = new pg.Client({ connectionString: databaseUrl })
  await blocker.connect()
  t.teardown(() => blocker.end())
  await blocker.query('begin')
  await blocker.query('select 1 from complaints where id = $1 for update', [id])
  await blocker.query(`insert into timers (id, complaint_id, kind, due_at, armed_state, armed_seq)
    values ($1::text || '.response.99', $1::uuid, 'response', now() + interval '1 hour', 'logged', 99)`, [id])

  const waiting = call('POST', `/v1/complaints/${id}/await-customer`, agent, { note: 'asked for photos' })
  const watcher = new pg.Client({ connectionString: databaseUrl })
  await watcher.connect()
  t.teardown(() => watcher.end())
  await waitFor(async () => (await watcher.query(
    `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rowCount! > 0, 10_000, 'the command to wait for the lock')
  await blocker.query('commit')
  const answer = await waiting
  t.equal(answer.statusCode, 200)

  const row = await db.selectFrom('complaints').select('clockPaused').where('id', '=', id).executeTakeFirstOrThrow()
  const cancelled = await db.selectFrom('timers').select(['kind', 'dueAt']).where('complaintId', '=', id)
    .where('cancelledAt', 'is not', null).where('kind', 'in', ['response', 'response_warning']).orderBy('dueAt').execute()
  const paused = [...(row.clockPaused?.deadlines ?? [])].sort((a, b) => a.dueAt.localeCompare(b.dueAt))
  t.same(paused, cancelled.map((c) => ({ kind: c.kind, dueAt: c.dueAt.toISOString() })),
    'every response deadline the pause cancelled is set aside with it, the one armed while the command waited included')
  t.ok(paused.length >= 3, `${paused.length} deadlines set aside (warning, response, and the one armed meanwhile)`)

  const pending = await db.selectFrom('timers').select(['kind', 'dueAt']).where('complaintId', '=', id)
    .where('firedAt', 'is', null).where('cancelledAt', 'is', null).orderBy('dueAt').execute()
  t.same(answer.json().deadlines, pending.filter((p) => p.kind !== 'route_escalation').map((p) => ({ kind: p.kind, dueAt: p.dueAt.toISOString() })),
    'the answer shows the deadlines the database holds')
})

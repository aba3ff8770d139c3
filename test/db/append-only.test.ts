import { sql } from 'kysely'
import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

t.test('complaint_events refuses UPDATE, DELETE and TRUNCATE', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const history = () => db.selectFrom('complaintEvents').selectAll().where('complaintId', '=', id).orderBy('seq').execute()
  const before = await history()
  t.equal(before.length, 2)

  // Run one at a time: each attempt must be refused on its own.
  const refusals: [string, () => Promise<unknown>][] = [
    ['kysely update', () => db.updateTable('complaintEvents').set({ type: 'complaint.rewritten' }).where('complaintId', '=', id).execute()],
    ['kysely delete', () => db.deleteFrom('complaintEvents').where('complaintId', '=', id).execute()],
    ['raw update', () => sql`update complaint_events set data = '{}'::jsonb`.execute(db)],
    ['raw delete', () => sql`delete from complaint_events`.execute(db)],
    ['truncate', () => sql`truncate complaint_events`.execute(db)],
    ['truncate cascade', () => sql`truncate complaints cascade`.execute(db)],
  ]
  for (const [what, attempt] of refusals) {
    await t.rejects(attempt, { message: /complaint_events is append-only/, code: '42501' }, `${what} is refused`)
  }
  t.same(await history(), before, 'the history is untouched')

  // Inside a transaction the refusal rolls back everything the transaction did.
  await t.rejects(db.transaction().execute(async (trx) => {
    await trx.updateTable('complaints').set({ summary: 'rewritten' }).where('id', '=', id).execute()
    await trx.deleteFrom('complaintEvents').where('complaintId', '=', id).where('seq', '=', 2).execute()
  }), { code: '42501' })
  const row = await db.selectFrom('complaints').select('summary').where('id', '=', id).executeTakeFirstOrThrow()
  t.equal(row.summary, aComplaint().summary)

  // Appending stays possible.
  t.equal((await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'still appendable' })).statusCode, 200)
  t.equal((await history()).length, 3)
})

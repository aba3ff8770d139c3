import { sql } from 'kysely'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import type { JobKind } from '../../src/timers/jobs.js'
import { fireTimers } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

const HOUR = { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' }

/** Each person's load as routing_loads holds it (a sum of deltas), and as the complaints say it is. */
async function loads(db: Db) {
  const ledger = await sql<{ user_id: string; kind: string; n: number }>`
    select user_id, kind, sum(delta)::int as n from routing_loads group by 1, 2 having sum(delta) <> 0 order by 1, 2`.execute(db)
  const counted = await sql<{ user_id: string; kind: string; n: number }>`
    select user_id, kind, count(*)::int as n from (
      select (escalation ->> 'assigneeId')::uuid as user_id, 'escalation' as kind from complaints
        where state = 'escalated' and escalation ->> 'assigneeId' is not null
      union all
      select assignee_id, 'call' from complaints where state = 'follow_up' and assignee_id is not null) l
    group by 1, 2 order by 1, 2`.execute(db)
  return { ledger: ledger.rows, counted: counted.rows }
}

async function fireDue(db: Db, kind: JobKind) {
  const due = await db.updateTable('timers').set({ dueAt: new Date() }).where('kind', '=', kind)
    .where('firedAt', 'is', null).where('cancelledAt', 'is', null).returning('id').execute()
  return fireTimers(db, due.map((x) => x.id))
}

t.test('the routing loads ledger follows every escalation, acknowledgement, resolution and follow-up call', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, db } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: HOUR, escalationAck: 'PT1H', escalationResponse: 'PT1H', followUpAfter: 'PT1H' }))
  const agent = await user('agent')
  await user('agent')
  await user('agent')
  const leads = [await user('supervisor', { level: 1, compensationLimit: 10_000 }), await user('supervisor', { level: 1, compensationLimit: 10_000 })]
  await user('supervisor', { level: 2, compensationLimit: 10_000 })
  const ids: string[] = []
  for (let i = 0; i < 9; i++) {
    const { id } = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: `case ${i}` }))).json()
    ids.push(id)
    t.equal((await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'above my authority' })).statusCode, 200)
  }
  await fireDue(db, 'route_escalation')
  t.same((await loads(db)).ledger, (await loads(db)).counted, 'after routing: the ledger says what the complaints say')

  // Some are taken and resolved, one acknowledgement is missed (one level up, routed again), calls fall due.
  const assigned = await db.selectFrom('complaints').select(['id', 'escalation']).where('id', 'in', ids).execute()
  const by = (id: string) => leads.find((l) => l.id === assigned.find((a) => a.id === id)!.escalation!.assigneeId)!
  for (const id of ids.slice(0, 4)) {
    t.equal((await call('POST', `/v1/complaints/${id}/acknowledge`, by(id), {})).statusCode, 200)
  }
  for (const id of ids.slice(0, 3)) {
    t.equal((await call('POST', `/v1/complaints/${id}/resolve`, by(id), { summary: 'refunded' })).statusCode, 200)
  }
  await db.updateTable('timers').set({ dueAt: new Date() }).where('complaintId', '=', ids[8]!).where('kind', '=', 'escalation_ack')
    .where('firedAt', 'is', null).execute()
  await fireTimers(db, (await db.selectFrom('timers').select('id').where('complaintId', '=', ids[8]!).where('kind', '=', 'escalation_ack')
    .where('firedAt', 'is', null).execute()).map((x) => x.id))
  await fireDue(db, 'route_escalation')
  await fireDue(db, 'follow_up')
  const after = await loads(db)
  t.ok(after.counted.some((r) => r.kind === 'call'), 'follow-up calls are assigned')
  t.same(after.ledger, after.counted, 'after acknowledgements, resolutions, a missed acknowledgement and follow-up calls: the same')

  // A routing batch folds the deltas into one row per person and kind, and the sums stay.
  const rowsBefore = Number((await sql<{ n: string }>`select count(*) as n from routing_loads`.execute(db)).rows[0]!.n)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'one more' }))).json()
  await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'above my authority' })
  await fireDue(db, 'route_escalation')
  const folded = await sql<{ user_id: string; kind: string; rows: number }>`
    select user_id, kind, count(*)::int as rows from routing_loads where kind = 'escalation' group by 1, 2`.execute(db)
  t.ok(folded.rows.every((r) => r.rows <= 2), `escalation deltas folded (at most the folded row and the last batch's own): ${JSON.stringify(folded.rows)}`)
  t.ok(rowsBefore > folded.rows.length, 'fewer rows than before the fold')
  const last = await loads(db)
  t.same(last.ledger, last.counted, 'and the loads are unchanged by folding')
})

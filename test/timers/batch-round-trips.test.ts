import t, { type Test } from 'tap'
import { fireTimers } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { recordRoundTrips } from '../helpers/round-trips.js'
import { fastPolicy } from '../helpers/worker.js'

// Issue 12: a batch of firings costs a few statements whatever its size. Routing is the costliest firing (it reads
// the workloads), so the batches here route. Counted on the real Postgres.
const MAX_IN_TRANSACTION = 6

const { sql: statements, clear } = recordRoundTrips(t)

/** The statements between BEGIN and COMMIT of the one transaction `work` runs. */
async function inTransaction(t: Test, work: () => Promise<unknown>): Promise<string[]> {
  clear()
  await work()
  const begin = statements.findIndex((s) => /^begin/i.test(s))
  const end = statements.findIndex((s) => /^commit/i.test(s))
  t.ok(begin >= 0 && end > begin && statements.filter((s) => /^begin/i.test(s)).length === 1, 'one transaction')
  return statements.slice(begin + 1, end)
}

t.test('a batch of 64 routings runs as many statements as a batch of 8', async (t) => {
  const { call, user, admin, db } = await setupApp(t)
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' }, escalationAck: 'PT1H' }))
  const agent = await user('agent')
  for (let i = 0; i < 4; i++) await user('supervisor', { level: 1 + (i % 2) })
  const routings: string[] = []
  for (let i = 0; i < 8 + 64 + 1; i++) {
    const { id } = (await call('POST', '/v1/complaints', agent, aComplaint(i % 3 === 0 ? { team: 'east' } : {}))).json()
    t.equal((await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'x' })).statusCode, 200)
    routings.push((await db.selectFrom('timers').select('id').where('complaintId', '=', id).where('kind', '=', 'route_escalation').executeTakeFirstOrThrow()).id)
  }
  // Warm: the first batch loads the policy and endpoints that a running worker keeps in memory.
  await fireTimers(db, routings.slice(0, 1))

  let fired = 0
  const count = (outcomes: Map<string, { outcome: string }>) => (fired += [...outcomes.values()].filter((o) => o.outcome === 'fired').length)
  const small = await inTransaction(t, async () => count(await fireTimers(db, routings.slice(1, 9))))
  const large = await inTransaction(t, async () => count(await fireTimers(db, routings.slice(9))))
  t.equal(fired, 72, 'every routing fired')
  t.ok(large.length <= MAX_IN_TRANSACTION, `64 routings: ${large.length} statements between BEGIN and COMMIT (at most ${MAX_IN_TRANSACTION}):\n${large.join('\n')}`)
  t.equal(large.length, small.length, 'no more statements for 64 firings than for 8')
  t.equal(large.filter((s) => /insert into complaint_events/.test(s)).length, 1, 'one statement writes the whole history of the batch')
  t.equal(large.filter((s) => /from routing_loads/.test(s)).length, 1, 'the loads are read once')
  // Batches that route at once no longer take turns (issue 12): no routing lock, held to commit, as there was.
  t.equal(large.filter((s) => /pg_advisory_xact_lock/.test(s)).length, 0, 'no routing lock')
})

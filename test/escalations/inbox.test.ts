import { sql } from 'kysely'
import t from 'tap'
import type { Db, Trx } from '../../src/db/database.js'
import type { ComplaintRow } from '../../src/db/tables.js'
import { inFlightRouting, readWorkloads, type RoutingNeeds, type Workloads } from '../../src/escalations/router.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'

t.test('escalations are routed to the least-loaded supervisor of the level, same team first', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ escalationAck: 'PT1H', response: { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' } }))
  const agent = await user('agent')
  const west = await user('supervisor', { level: 1, teams: ['west'] })
  const eastA = await user('supervisor', { level: 1, teams: ['east'] })
  const eastB = await user('supervisor', { level: 1, teams: ['east'] })
  startTestWorker(t, testApp)
  const escalate = async (team: string) => {
    const { id } = (await call('POST', '/v1/complaints', agent, aComplaint({ team }))).json()
    await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'above my limit' })
    return waitFor(async () => {
      const c = (await call('GET', `/v1/complaints/${id}`, agent)).json()
      return c.escalation.assigneeId && c
    }, 10_000, 'routing')
  }
  const first = await escalate('east')
  const second = await escalate('east')
  t.same([first.escalation.assigneeId, second.escalation.assigneeId].sort(), [eastA.id, eastB.id].sort(), 'spread over the east team')
  t.equal((await escalate('west')).escalation.assigneeId, west.id)

  const inbox = (await call('GET', '/v1/escalations?assigneeId=me', eastA)).json().items
  t.equal(inbox.length, 1)
  t.ok(inbox[0].actions.includes('acknowledge'))
  await call('POST', `/v1/complaints/${inbox[0].id}/acknowledge`, eastA)
  t.same((await call('GET', '/v1/escalations?assigneeId=me', eastA)).json().items, [], 'open only, by default')
  t.equal((await call('GET', '/v1/escalations?status=acknowledged&assigneeId=me', eastA)).json().items.length, 1)
  t.equal((await call('GET', '/v1/escalations?status=all', eastA)).json().items.length, 3)
  t.equal((await call('GET', '/v1/escalations', agent)).statusCode, 403, 'the inbox is for supervisors')
})

t.test('nobody at the level: the next level up; nobody at all: the unassigned pool', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ escalationAck: 'PT1H', response: { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' } }))
  const agent = await user('agent')
  startTestWorker(t, testApp)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'x' })
  const routed = await waitFor(async () => {
    const items = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items
    return items.find((e: { type: string }) => e.type === 'escalation.assigned')
  }, 10_000, 'routing')
  t.equal(routed.data.assigneeId, null, 'the unassigned pool')

  const manager = await user('supervisor', { level: 2 })
  const second = (await call('POST', '/v1/complaints', agent, aComplaint())).json().id
  await call('POST', `/v1/complaints/${second}/escalate`, agent, { reason: 'x' })
  const up = await waitFor(async () => (await call('GET', `/v1/complaints/${second}`, agent)).json().escalation.assigneeId, 10_000, 'routing up')
  t.equal(up, manager.id, 'nobody at level 1: a level 2 supervisor')
})

/**
 * Two routings in their own transactions, as two batches of one worker run them: the first chooses, assigns and holds
 * its transaction open while the second reads the loads, chooses and assigns; only then does the first commit. The
 * second does not wait for the first (there is no routing lock to wait on: a batch's read of the loads adds the
 * uncommitted routing of the process's other batches, docs/deadlines.md). Answers whom each chose.
 */
async function routeTwoAtOnce(db: Db, needs: RoutingNeeds, choose: (workloads: Workloads) => string,
  assign: (trx: Trx, complaintId: string, to: string) => Promise<unknown>, moved: (to: string) => [ComplaintRow, ComplaintRow], ids: string[]) {
  const signal = () => {
    let done!: () => void
    return { done: () => done(), when: new Promise<void>((resolve) => (done = resolve)) }
  }
  const [first, second] = [signal(), signal()]
  const route = (id: string, chose: () => void, before: Promise<void>) => {
    let workloads: Workloads | undefined
    return db.transaction().execute(async (trx) => {
      workloads = await readWorkloads(trx, needs, inFlightRouting(db))
      const chosen = choose(workloads)
      await assign(trx, id, chosen)
      workloads.moved(...moved(chosen))
      chose()
      await before
      return chosen
    }).finally(() => workloads?.settled(true))
  }
  const one = route(ids[0]!, first.done, second.when)
  await first.when
  return Promise.all([one, route(ids[1]!, second.done, Promise.resolve())])
}

t.test('two escalations routed at once by one worker never read the same workload: the second sees the first and picks the other supervisor', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const supervisors = [await user('supervisor', { level: 1 }), await user('supervisor', { level: 1 })]
  // Escalated with no worker running: both wait in the pool for routing.
  const ids: string[] = []
  for (let i = 0; i < 2; i++) {
    const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
    t.equal((await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'x' })).statusCode, 200)
    ids.push(id)
  }
  const chosen = await routeTwoAtOnce(
    db,
    { escalations: true, followUps: false },
    (workloads) => workloads.supervisorFor({ level: 1, team: null })!.supervisorId,
    (trx, id, to) => sql`update complaints set escalation = escalation || jsonb_build_object('assigneeId', ${to}::text) where id = ${id}`.execute(trx),
    (to) => [{ state: 'escalated', escalation: { assigneeId: null } }, { state: 'escalated', escalation: { assigneeId: to } }] as ComplaintRow[] as [ComplaintRow, ComplaintRow],
    ids,
  )
  t.same([...chosen].sort(), supervisors.map((s) => s.id).sort(), 'one escalation each')
})

t.test('two follow-up calls falling due at once go to two agents, neither of them the resolver', async (t) => {
  const { call, user, db } = await setupApp(t)
  const resolver = await user('agent', { compensationLimit: 100 })
  const callers = [await user('agent'), await user('agent')]
  const ids: string[] = []
  for (let i = 0; i < 2; i++) {
    const { id } = (await call('POST', '/v1/complaints', resolver, aComplaint())).json()
    t.equal((await call('POST', `/v1/complaints/${id}/resolve`, resolver, { summary: 'replaced' })).statusCode, 200)
    ids.push(id)
  }
  const chosen = await routeTwoAtOnce(
    db,
    { escalations: false, followUps: true },
    (workloads) => workloads.followUpCallerFor({ resolvedBy: resolver.id, team: null })!,
    (trx, id, to) => trx.updateTable('complaints').set({ assigneeId: to }).where('id', '=', id).execute(),
    (to) => [{ state: 'follow_up', assigneeId: null }, { state: 'follow_up', assigneeId: to }] as ComplaintRow[] as [ComplaintRow, ComplaintRow],
    ids,
  )
  t.same([...chosen].sort(), callers.map((c) => c.id).sort(), 'one call each')
})

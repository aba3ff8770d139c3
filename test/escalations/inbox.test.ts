import { sql } from 'kysely'
import t from 'tap'
import type { Db, Trx } from '../../src/db/database.js'
import { chooseFollowUpCaller, chooseSupervisor } from '../../src/escalations/router.js'
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
 * Two routings in their own transactions, as two timer workers run them: the first chooses and assigns, then holds
 * its transaction open while the second chooses. Answers whom each chose.
 */
async function routeTwoAtOnce(db: Db, choose: (trx: Trx) => Promise<string>, assign: (trx: Trx, complaintId: string, to: string) => Promise<unknown>, ids: string[]) {
  let firstChose!: () => void
  const firstHasChosen = new Promise<void>((resolve) => (firstChose = resolve))
  const route = (id: string, hold: number) =>
    db.transaction().execute(async (trx) => {
      const chosen = await choose(trx)
      await assign(trx, id, chosen)
      firstChose()
      await new Promise((resolve) => setTimeout(resolve, hold))
      return chosen
    })
  const first = route(ids[0]!, 300)
  await firstHasChosen
  return Promise.all([first, route(ids[1]!, 0)])
}

t.test('two escalations routed at once never read the same workload: the second waits and picks the other supervisor', async (t) => {
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
    async (trx) => (await chooseSupervisor(trx, { level: 1, team: null }))!.supervisorId,
    (trx, id, to) => sql`update complaints set escalation = escalation || jsonb_build_object('assigneeId', ${to}::text) where id = ${id}`.execute(trx),
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
    async (trx) => (await chooseFollowUpCaller(trx, { resolvedBy: resolver.id, team: null }))!,
    (trx, id, to) => trx.updateTable('complaints').set({ assigneeId: to }).where('id', '=', id).execute(),
    ids,
  )
  t.same([...chosen].sort(), callers.map((c) => c.id).sort(), 'one call each')
})

import t from 'tap'
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

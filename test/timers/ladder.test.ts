import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'

interface Event { type: string; actor: { role: string }; data: Record<string, unknown> }

t.test('a missed response deadline warns, escalates and climbs the ladder to the top, then re-alerts', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  t.equal((await call('PUT', '/v1/sla-policies', admin, fastPolicy({ escalationAck: 'PT1S' }))).statusCode, 200)
  const agent = await user('agent')
  const leads = [await user('supervisor', { level: 1 }), await user('supervisor', { level: 2 }), await user('supervisor', { level: 3 })]
  startTestWorker(t, testApp)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const events = async () => (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items as Event[]

  const history = await waitFor(async () => {
    const items = await events()
    return items.filter((e) => e.type === 'deadline.ack_missed').length >= 3 && items
  }, 20_000, 'three unacknowledged escalations')
  const types = history.map((e) => e.type)
  t.ok(types.indexOf('deadline.warning') < types.indexOf('deadline.response_missed'), 'the warning comes first')
  t.equal(types.filter((x) => x === 'deadline.response_missed').length, 1, 'the response deadline fired once')
  const assigned = history.filter((e) => e.type === 'escalation.assigned').map((e) => e.data.assigneeId)
  t.same(assigned.slice(0, 3), leads.map((l) => l.id), 'each level is routed to its supervisor')
  t.ok(history.filter((e) => e.actor.role === 'system').length >= 6, 'timers act as system')

  const complaint = (await call('GET', `/v1/complaints/${id}`, agent)).json()
  t.equal(complaint.state, 'escalated')
  t.equal(complaint.escalation.level, 3, 'at maxLevel the complaint stays at the top level')
  t.equal(complaint.escalation.reason, 'not_acknowledged')
  t.same(complaint.deadlines.map((d: { kind: string }) => d.kind), ['escalation_ack'], 're-alerted: a new acknowledgement deadline')
})

t.test('the supervisor who acknowledges gets a fresh response deadline; missing it climbs', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' } }))
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  startTestWorker(t, testApp)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'needs a manager' })
  const ack = await call('POST', `/v1/complaints/${id}/acknowledge`, lead)
  t.same(ack.json().deadlines.map((d: { kind: string }) => d.kind), ['escalation_response'])
  const climbed = await waitFor(async () => {
    const c = (await call('GET', `/v1/complaints/${id}`, agent)).json()
    return c.escalation.level === 2 && c
  }, 10_000, 'the escalation to level 2')
  t.equal(climbed.escalation.reason, 'deadline_missed')
  t.equal(climbed.escalation.acknowledgedAt, null)
})

t.test('an unsatisfied follow-up escalates one level above the last', async (t) => {
  const testApp = await setupApp(t)
  const { call, user } = testApp
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 2 })
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'x' })
  await call('POST', `/v1/complaints/${id}/acknowledge`, lead)
  await call('POST', `/v1/complaints/${id}/resolve`, lead, { summary: 'fixed' })
  const reopened = await call('POST', `/v1/complaints/${id}/follow-up`, agent, { outcome: 'unsatisfied' })
  t.equal(reopened.json().escalation.level, 2)
  t.equal(reopened.json().escalation.reason, 'unsatisfied')
})

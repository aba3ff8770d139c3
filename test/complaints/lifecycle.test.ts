import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

t.test('a complaint from call to closed, on the spot', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent', { compensationLimit: 50 })
  // The follow-up call is someone else's than the resolver's (policy followUpBy: not_resolver).
  const colleague = await user('agent')

  const created = await call('POST', '/v1/complaints', agent, aComplaint())
  t.equal(created.statusCode, 201)
  const complaint = created.json()
  t.equal(complaint.state, 'logged')
  t.match(complaint.reference, /^C-\d{8}-\d{6}$/)
  t.equal(complaint.customer.phone, '+8613800138000', 'phone normalised to E.164')
  t.equal(created.headers.etag, '"2"')
  t.equal(created.headers.location, `/v1/complaints/${complaint.id}`)
  t.same(complaint.actions, ['resolve', 'escalate', 'withdraw', 'notes', 'await-customer', 'merge', 'request-extension', 'transfer'])
  t.same(complaint.deadlines.map((d: { kind: string }) => d.kind).sort(), ['response', 'response_warning'])
  t.equal(complaint.promisedBy, complaint.deadlines.find((d: { kind: string }) => d.kind === 'response').dueAt)

  const resolved = await call('POST', `/v1/complaints/${complaint.id}/resolve`, agent,
    { summary: 'Refunded the kettle', compensation: { kind: 'refund', amount: 50, currency: 'CNY' } }, { 'if-match': '"2"' })
  t.equal(resolved.statusCode, 200, resolved.body)
  t.equal(resolved.json().state, 'follow_up')
  t.equal(resolved.json().resolution.mode, 'on_the_spot')
  t.same(resolved.json().resolution.compensation, { kind: 'refund', amount: 50, currency: 'CNY' })
  t.same(resolved.json().deadlines.map((d: { kind: string }) => d.kind), ['follow_up'])
  t.equal(resolved.headers.etag, '"3"')

  const followed = await call('POST', `/v1/complaints/${complaint.id}/follow-up`, colleague, { outcome: 'satisfied', satisfaction: 5 })
  t.equal(followed.statusCode, 200)
  const closed = followed.json()
  t.equal(closed.state, 'closed')
  t.equal(closed.closeReason, 'satisfied')
  t.ok(closed.closedAt)
  t.same(closed.deadlines, [])
  t.same(closed.actions, ['notes', 'reopen'])
  t.match(closed.followUp, { attempts: 1, outcome: 'satisfied', satisfaction: 5 })

  const events = (await call('GET', `/v1/complaints/${complaint.id}/events`, agent)).json().items
  t.same(events.map((e: { type: string }) => e.type), ['complaint.received', 'complaint.logged', 'complaint.resolved', 'follow_up.recorded'])
  t.same(events.map((e: { seq: number }) => e.seq), [1, 2, 3, 4])
  t.same(events[2].actor, { id: agent.id, role: 'agent' })
})

t.test('above the agent limit: refused, escalated, acknowledged and resolved by a supervisor', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent', { compensationLimit: 50 })
  const lead = await user('supervisor', { level: 1, compensationLimit: 500 })
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'high' }))).json()

  const refused = await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'refund', compensation: { kind: 'refund', amount: 120 } })
  t.equal(refused.statusCode, 403)
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(refused.json().code, 'authority_exceeded')
  t.equal((await call('GET', `/v1/complaints/${id}`, agent)).json().version, 2, 'a refusal changes nothing')

  const escalated = await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'refund above my limit' })
  t.equal(escalated.statusCode, 200)
  t.match(escalated.json().escalation, { level: 1, reason: 'refund above my limit', acknowledgedAt: null })
  t.same(escalated.json().deadlines.map((d: { kind: string }) => d.kind), ['escalation_ack'])
  t.equal(escalated.json().escalation.ackDueAt, escalated.json().deadlines[0].dueAt)
  t.notOk(escalated.json().actions.includes('acknowledge'), 'an agent may not acknowledge')

  const asLead = (await call('GET', `/v1/complaints/${id}`, lead)).json()
  t.ok(asLead.actions.includes('acknowledge'))
  t.equal((await call('POST', `/v1/complaints/${id}/acknowledge`, agent)).json().code, 'forbidden')
  const acknowledged = await call('POST', `/v1/complaints/${id}/acknowledge`, lead)
  t.equal(acknowledged.statusCode, 200, acknowledged.body)
  t.equal(acknowledged.json().escalation.assigneeId, lead.id)
  t.ok(acknowledged.json().escalation.acknowledgedAt)
  t.same(acknowledged.json().deadlines.map((d: { kind: string }) => d.kind), ['escalation_response'])
  t.equal((await call('POST', `/v1/complaints/${id}/acknowledge`, lead)).statusCode, 409, 'acknowledged once')

  const resolved = await call('POST', `/v1/complaints/${id}/resolve`, lead, { summary: 'refund', compensation: { kind: 'refund', amount: 120, currency: 'CNY' } })
  t.equal(resolved.statusCode, 200, resolved.body)
  t.equal(resolved.json().resolution.mode, 'after_escalation')
  t.equal(resolved.json().resolution.resolvedBy, lead.id)
})

t.test('unsatisfied reopens one level higher; unreachable closes after the last attempt', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const colleague = await user('agent')
  const manager = await user('supervisor', { level: 2 })
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'apologised' })
  const reopened = await call('POST', `/v1/complaints/${id}/follow-up`, colleague, { outcome: 'unsatisfied', comment: 'still broken' })
  t.equal(reopened.json().state, 'escalated')
  t.equal(reopened.json().escalation.level, 1)
  t.equal(reopened.json().resolution, null)

  t.equal((await call('POST', `/v1/complaints/${id}/acknowledge`, manager)).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${id}/resolve`, manager, { summary: 'replaced' })).statusCode, 200)
  for (let attempt = 1; attempt <= 2; attempt++) {
    const retry = await call('POST', `/v1/complaints/${id}/follow-up`, agent, { outcome: 'unreachable' })
    t.equal(retry.json().state, 'follow_up')
    t.equal(retry.json().followUp.attempts, attempt)
    t.same(retry.json().deadlines.map((d: { kind: string }) => d.kind), ['follow_up_retry'])
  }
  const last = await call('POST', `/v1/complaints/${id}/follow-up`, agent, { outcome: 'unreachable' })
  t.equal(last.json().state, 'closed')
  t.equal(last.json().closeReason, 'unreachable')
})

t.test('withdraw, notes and assign', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const other = await user('agent')
  const lead = await user('supervisor')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()

  const noted = await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'customer calls back at 5pm' })
  t.equal(noted.json().state, 'logged')
  t.equal(noted.json().version, 3)

  t.equal((await call('POST', `/v1/complaints/${id}/assign`, agent, { assigneeId: other.id })).statusCode, 403)
  const badAssignee = await call('POST', `/v1/complaints/${id}/assign`, lead, { assigneeId: '00000000-0000-4000-8000-000000000000' })
  t.equal(badAssignee.statusCode, 400)
  t.equal(badAssignee.json().errors[0].field, 'body.assigneeId')
  const assigned = await call('POST', `/v1/complaints/${id}/assign`, lead, { assigneeId: other.id })
  t.equal(assigned.json().assigneeId, other.id)

  const withdrawn = await call('POST', `/v1/complaints/${id}/withdraw`, agent, { reason: 'customer found the receipt' })
  t.equal(withdrawn.json().state, 'closed')
  t.equal(withdrawn.json().closeReason, 'withdrawn')
  const again = await call('POST', `/v1/complaints/${id}/withdraw`, agent, { reason: 'again' })
  t.equal(again.statusCode, 409)
  t.equal(again.json().code, 'invalid_transition')
  t.same(again.json().allowed, ['notes'])

  const events = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items
  t.same(events.map((e: { type: string }) => e.type).slice(2), ['complaint.note_added', 'complaint.assigned', 'complaint.withdrawn'])
  t.same(events[2].data, { text: 'customer calls back at 5pm' })
})

// Who records the follow-up call, reopening a closed complaint, and repeat contacts (CONTRACT.md, "Who does the
// follow-up call", "Waiting for the customer, and coming back"), on a clock the test moves.
import t, { type Test } from 'tap'
import { aComplaint, type TestApp, type TestUser } from '../helpers/app.js'
import { setupAppAt } from '../helpers/moving-clock.js'

const DAY = 86_400_000

const setup = (t: Test) => setupAppAt(t, '2026-12-01T02:00:00.000Z')

async function resolved(testApp: TestApp, as: TestUser, overrides: Record<string, unknown> = {}) {
  const created = await testApp.call('POST', '/v1/complaints', as, aComplaint(overrides))
  if (created.statusCode !== 201) throw new Error(created.body)
  const done = await testApp.call('POST', `/v1/complaints/${created.json().id}/resolve`, as, { summary: 'refunded' })
  if (done.statusCode !== 200) throw new Error(done.body)
  return done.json()
}

async function closedSatisfied(testApp: TestApp, resolver: TestUser, caller: TestUser, overrides: Record<string, unknown> = {}) {
  const complaint = await resolved(testApp, resolver, overrides)
  const closed = await testApp.call('POST', `/v1/complaints/${complaint.id}/follow-up`, caller, { outcome: 'satisfied', satisfaction: 5 })
  if (closed.statusCode !== 200) throw new Error(closed.body)
  return closed.json()
}

t.test('the resolver does not record the follow-up call; a colleague and a supervisor do', async (t) => {
  const testApp = await setup(t)
  const { call, user } = testApp
  const resolver = await user('agent')
  const colleague = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  const complaint = await resolved(testApp, resolver)
  t.notOk(complaint.actions.includes('follow-up'), 'not offered to the resolver')
  for (const outcome of ['satisfied', 'unsatisfied', 'unreachable']) {
    const own = await call('POST', `/v1/complaints/${complaint.id}/follow-up`, resolver, { outcome })
    t.equal(own.statusCode, 403, `the resolver: ${outcome}`)
    t.equal(own.json().code, 'forbidden')
    t.match(own.json().detail, /you resolved this complaint.*followUpBy/)
  }
  const viewed = (await call('GET', `/v1/complaints/${complaint.id}`, colleague)).json()
  t.ok(viewed.actions.includes('follow-up'), 'offered to a colleague')
  const byColleague = await call('POST', `/v1/complaints/${complaint.id}/follow-up`, colleague, { outcome: 'unreachable' })
  t.equal(byColleague.statusCode, 200, byColleague.body)
  const bySupervisor = await call('POST', `/v1/complaints/${complaint.id}/follow-up`, lead, { outcome: 'satisfied' })
  t.equal(bySupervisor.statusCode, 200, 'a supervisor always may')
  t.equal(bySupervisor.json().state, 'closed')

  const ownByLead = await resolved(testApp, lead)
  t.equal((await call('POST', `/v1/complaints/${ownByLead.id}/follow-up`, lead, { outcome: 'satisfied' })).statusCode, 200,
    'a supervisor records the call on what they resolved')
})

t.test('policy followUpBy: anyone lets the resolver call (complaints received under it)', async (t) => {
  const testApp = await setup(t)
  const { call, user, admin } = testApp
  const resolver = await user('agent')
  const before = await resolved(testApp, resolver)
  const policy = (await call('GET', '/v1/sla-policies', admin)).json()
  t.equal((await call('PUT', '/v1/sla-policies', admin, { ...policy, followUpBy: 'anyone' })).statusCode, 200)
  const after = await resolved(testApp, resolver)
  t.ok(after.actions.includes('follow-up'))
  t.equal((await call('POST', `/v1/complaints/${after.id}/follow-up`, resolver, { outcome: 'satisfied' })).statusCode, 200)
  t.equal((await call('POST', `/v1/complaints/${before.id}/follow-up`, resolver, { outcome: 'satisfied' })).statusCode, 403,
    'a complaint keeps the rule it was received under, as it keeps maxLevel')
})

t.test('reopen: within reopenWithin, back to escalated one level up; later 409; withdrawn or duplicate never', async (t) => {
  const testApp = await setup(t)
  const { call, user, advance } = testApp
  const agent = await user('agent')
  const colleague = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  await user('supervisor', { level: 2 })
  const closed = await closedSatisfied(testApp, agent, colleague)
  t.equal(closed.state, 'closed')
  t.ok(closed.actions.includes('reopen'))
  advance(7 * DAY - 1)
  const reopened = await call('POST', `/v1/complaints/${closed.id}/reopen`, agent, { reason: 'the kettle broke again' },
    { 'if-match': `"${closed.version}"` })
  t.equal(reopened.statusCode, 200, reopened.body)
  const view = reopened.json()
  t.match(view, { state: 'escalated', closeReason: null, closedAt: null, resolution: null, escalation: { level: 1, reason: 'reopened', acknowledgedAt: null } })
  t.ok(view.deadlines.some((d: { kind: string }) => d.kind === 'escalation_ack'), 'the escalation must be acknowledged')
  const history = (await call('GET', `/v1/complaints/${closed.id}/events`, agent)).json().items
  t.match(history.map((e: { type: string }) => e.type), ['complaint.received', 'complaint.logged', 'complaint.resolved', 'follow_up.recorded',
    'complaint.reopened'])
  t.match(history.at(-1).data, { reason: 'the kettle broke again' })

  // Resolved again at level 1, closed again: a second reopen goes one level higher.
  t.equal((await call('POST', `/v1/complaints/${closed.id}/resolve`, lead, { summary: 'replaced' })).statusCode, 200)
  const again = await call('POST', `/v1/complaints/${closed.id}/follow-up`, colleague, { outcome: 'satisfied' })
  t.equal(again.json().state, 'closed')
  const twice = await call('POST', `/v1/complaints/${closed.id}/reopen`, lead, { reason: 'still broken' })
  t.match(twice.json(), { state: 'escalated', escalation: { level: 2, reason: 'reopened' } })

  const late = await closedSatisfied(testApp, agent, colleague)
  advance(7 * DAY + 1)
  const refused = await call('POST', `/v1/complaints/${late.id}/reopen`, agent, { reason: 'too late' })
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().code, 'reopen_window_passed')
  t.match(refused.json().detail, /reopenWithin/)

  const created = (await call('POST', '/v1/complaints', agent, aComplaint({ category: 'billing' }))).json()
  const withdrawn = (await call('POST', `/v1/complaints/${created.id}/withdraw`, agent, { reason: 'sorted it out' })).json()
  t.notOk(withdrawn.actions.includes('reopen'))
  const no = await call('POST', `/v1/complaints/${created.id}/reopen`, agent, { reason: 'x' })
  t.equal(no.statusCode, 409)
  t.equal(no.json().code, 'invalid_transition')

  const open = (await call('POST', '/v1/complaints', agent, aComplaint({ category: 'noise' }))).json()
  const notClosed = await call('POST', `/v1/complaints/${open.id}/reopen`, agent, { reason: 'x' })
  t.equal(notClosed.json().code, 'invalid_transition', 'an open complaint')
  t.equal((await call('POST', `/v1/complaints/${closed.id}/reopen`, await user('admin'), { reason: 'x' })).statusCode, 403, 'an admin may not')
})

t.test('repeat contacts: a new complaint of the same customer and category within reopenWithin of a closed one', async (t) => {
  const testApp = await setup(t)
  const { call, user, advance } = testApp
  const agent = await user('agent')
  const colleague = await user('agent')
  const first = await closedSatisfied(testApp, agent, colleague)
  t.equal(first.repeatOf, null)
  advance(2 * DAY)
  const repeat = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  t.equal(repeat.repeatOf, first.id, 'the customer called back about the same thing')
  t.equal((await call('GET', `/v1/complaints/${repeat.id}`, agent)).json().repeatOf, first.id)
  const other = (await call('POST', '/v1/complaints', agent, aComplaint({ category: 'billing' }))).json()
  t.equal(other.repeatOf, null, 'another category')
  const stranger = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 139 0000 0001' } }))).json()
  t.equal(stranger.repeatOf, null, 'another customer')
  advance(6 * DAY)
  const later = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  t.equal(later.repeatOf, null, 'more than reopenWithin after it closed')
})

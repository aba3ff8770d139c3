// Transfers between teams and send-backs (CONTRACT.md, "Transfers between teams"), on a clock the test moves.
import t, { type Test } from 'tap'
import { aComplaint, type TestApp, type TestUser } from '../helpers/app.js'
import { setupAppAt } from '../helpers/moving-clock.js'

const MINUTE = 60_000

const setup = (t: Test) => setupAppAt(t, '2026-12-01T02:00:00.000Z')

async function logged(testApp: TestApp, as: TestUser, overrides: Record<string, unknown> = {}) {
  const created = await testApp.call('POST', '/v1/complaints', as, aComplaint({ team: 'billing', ...overrides }))
  if (created.statusCode !== 201) throw new Error(created.body)
  return created.json()
}

const sortedIds = (...users: TestUser[]) => users.map((u) => u.id).sort()

t.test('who may transfer, to whom it goes, and that the promise stays', async (t) => {
  const testApp = await setup(t)
  const { call, user } = testApp
  const billing = await user('agent', { teams: ['billing'] })
  const stranger = await user('agent', { teams: ['returns'] })
  const [a, b] = sortedIds(await user('agent', { teams: ['delivery'] }), await user('agent', { teams: ['delivery'] }))
  const complaint = await logged(testApp, billing)
  t.ok(complaint.actions.includes('transfer'))

  const refused = await call('POST', `/v1/complaints/${complaint.id}/transfer`, stranger, { team: 'delivery', reason: 'not ours' })
  t.equal(refused.statusCode, 403, 'an agent of another team')
  t.equal(refused.json().code, 'forbidden')
  t.match(refused.json().detail, /billing/)
  const same = await call('POST', `/v1/complaints/${complaint.id}/transfer`, billing, { team: 'billing', reason: 'x' })
  t.equal(same.statusCode, 400, 'to its own team')
  const bad = await call('POST', `/v1/complaints/${complaint.id}/transfer`, billing, { team: 'delivery' })
  t.equal(bad.statusCode, 400, 'a reason is required')

  const moved = await call('POST', `/v1/complaints/${complaint.id}/transfer`, billing, { team: 'delivery', reason: 'a courier matter' },
    { 'if-match': `"${complaint.version}"` })
  t.equal(moved.statusCode, 200, moved.body)
  const transferred = moved.json()
  t.equal(transferred.team, 'delivery')
  t.equal(transferred.assigneeId, a, 'both agents hold no open complaint: the lower id')
  t.equal(transferred.state, 'logged')
  t.equal(transferred.promisedBy, complaint.promisedBy, 'the promise does not move')
  t.same(transferred.deadlines, complaint.deadlines, 'nor does any deadline')
  t.match(transferred.transfer, {
    fromTeam: 'billing', fromAssigneeId: billing.id, toTeam: 'delivery', reason: 'a courier matter', transferredBy: billing.id,
    transferredAt: '2026-12-01T02:00:00.000Z', sendBackUntil: '2026-12-01T04:00:00.000Z', sentBackAt: null,
  })

  // a now holds one open complaint, b none: the next transfer goes to b.
  const second = await logged(testApp, billing)
  const toB = await call('POST', `/v1/complaints/${second.id}/transfer`, billing, { team: 'delivery', reason: 'also courier' })
  t.equal(toB.json().assigneeId, b, 'the fewest open complaints')

  const nobody = await logged(testApp, billing)
  const empty = await call('POST', `/v1/complaints/${nobody.id}/transfer`, billing, { team: 'legal', reason: 'a lawyer wrote' })
  t.equal(empty.statusCode, 200)
  t.equal(empty.json().assigneeId, null, 'a team without an active agent: nobody')

  const noTeam = await logged(testApp, stranger, { team: undefined })
  t.equal(noTeam.team, 'returns', 'the intake names the agent\'s first team')
  const lead = await user('supervisor', { level: 1, teams: ['somewhere'] })
  const bySupervisor = await call('POST', `/v1/complaints/${noTeam.id}/transfer`, lead, { team: 'delivery', reason: 'any supervisor' })
  t.equal(bySupervisor.statusCode, 200, 'any supervisor')

  const history = (await call('GET', `/v1/complaints/${complaint.id}/events`, billing)).json().items
  t.match(history.at(-1), {
    type: 'complaint.transferred', actor: { id: billing.id, role: 'agent' },
    data: { team: 'delivery', reason: 'a courier matter', fromTeam: 'billing', fromAssigneeId: billing.id, assigneeId: a },
  })
})

t.test('an agent may transfer a complaint of no team; an inactive agent is never chosen', async (t) => {
  const testApp = await setup(t)
  const { call, user, db, admin } = testApp
  const anyone = await user('agent')
  const complaint = await logged(testApp, anyone, { team: undefined })
  t.equal(complaint.team, null)
  const [first, second] = sortedIds(await user('agent', { teams: ['delivery'] }), await user('agent', { teams: ['delivery'] }))
  t.equal((await call('PATCH', `/v1/users/${first}`, admin, { active: false })).statusCode, 200)
  const moved = await call('POST', `/v1/complaints/${complaint.id}/transfer`, anyone, { team: 'delivery', reason: 'theirs' })
  t.equal(moved.statusCode, 200, moved.body)
  t.equal(moved.json().assigneeId, second, 'the active one')
  const row = await db.selectFrom('complaints').select(['team', 'assigneeId']).where('id', '=', complaint.id).executeTakeFirstOrThrow()
  t.same(row, { team: 'delivery', assigneeId: second })
})

t.test('states: received and escalated may be transferred, an acknowledged escalation stays with its supervisor; not once resolved', async (t) => {
  const testApp = await setup(t)
  const { call, user } = testApp
  const agent = await user('agent', { teams: ['billing'] })
  const courier = await user('agent', { teams: ['delivery'] })
  const lead = await user('supervisor', { level: 1, teams: ['billing'] })
  const complaint = await logged(testApp, agent)
  const escalated = (await call('POST', `/v1/complaints/${complaint.id}/escalate`, agent, { reason: 'angry' })).json()
  const acked = await call('POST', `/v1/complaints/${complaint.id}/acknowledge`, lead)
  t.equal(acked.statusCode, 200, acked.body)
  t.equal(acked.json().assigneeId, lead.id)
  const moved = await call('POST', `/v1/complaints/${complaint.id}/transfer`, lead, { team: 'delivery', reason: 'courier lost it' })
  t.equal(moved.statusCode, 200, moved.body)
  t.match(moved.json(), { state: 'escalated', team: 'delivery', assigneeId: lead.id, escalation: { level: 1, acknowledgedAt: String } },
    'the escalation and its supervisor stay')
  t.same(moved.json().escalation, acked.json().escalation)
  t.equal(escalated.escalation.level, 1)

  const unacked = await logged(testApp, agent)
  await call('POST', `/v1/complaints/${unacked.id}/escalate`, agent, { reason: 'angry' })
  const moved2 = await call('POST', `/v1/complaints/${unacked.id}/transfer`, agent, { team: 'delivery', reason: 'courier' })
  t.equal(moved2.json().assigneeId, courier.id, 'an escalation no supervisor took: the complaint goes to the team\'s agent')

  const resolved = await logged(testApp, agent)
  await call('POST', `/v1/complaints/${resolved.id}/resolve`, agent, { summary: 'refunded' })
  const late = await call('POST', `/v1/complaints/${resolved.id}/transfer`, agent, { team: 'delivery', reason: 'x' })
  t.equal(late.statusCode, 409)
  t.equal(late.json().code, 'invalid_transition')
  t.notOk(late.json().allowed.includes('transfer'))
})

t.test('send-back: by the receiving team, within sendBackWithin, once', async (t) => {
  const testApp = await setup(t)
  const { call, user, advance } = testApp
  const billing = await user('agent', { teams: ['billing'] })
  const courier = await user('agent', { teams: ['delivery'] })
  const courierLead = await user('supervisor', { level: 1, teams: ['delivery'] })
  const otherLead = await user('supervisor', { level: 1, teams: ['billing'] })
  const complaint = await logged(testApp, billing)
  const transferred = (await call('POST', `/v1/complaints/${complaint.id}/transfer`, billing, { team: 'delivery', reason: 'courier' })).json()
  t.equal(transferred.assigneeId, courier.id)
  t.ok(transferred.actions.includes('send-back'))

  const bySender = await call('POST', `/v1/complaints/${complaint.id}/send-back`, billing, { reason: 'no' })
  t.equal(bySender.statusCode, 403, 'the sending team does not send it back')
  t.match(bySender.json().detail, /receiving team \(delivery\)/)
  t.equal((await call('POST', `/v1/complaints/${complaint.id}/send-back`, otherLead, { reason: 'no' })).statusCode, 403,
    'nor a supervisor of another team')

  advance(119 * MINUTE)
  const back = await call('POST', `/v1/complaints/${complaint.id}/send-back`, courier, { reason: 'this is a billing error' },
    { 'if-match': `"${transferred.version}"` })
  t.equal(back.statusCode, 200, back.body)
  t.match(back.json(), { team: 'billing', assigneeId: billing.id, promisedBy: complaint.promisedBy })
  t.match(back.json().transfer, { toTeam: 'delivery', sentBackBy: courier.id, sendBackReason: 'this is a billing error' })
  t.notOk(back.json().actions.includes('send-back'))

  const again = await call('POST', `/v1/complaints/${complaint.id}/send-back`, otherLead, { reason: 'ping-pong' })
  t.equal(again.statusCode, 409, 'a complaint just sent back is not sent back again')
  t.equal(again.json().code, 'invalid_transition')

  const history = (await call('GET', `/v1/complaints/${complaint.id}/events`, billing)).json().items
  t.match(history.at(-1), { type: 'complaint.sent_back', actor: { id: courier.id }, data: { reason: 'this is a billing error', fromTeam: 'delivery', team: 'billing', assigneeId: billing.id } })

  // A new transfer, sent back by a supervisor of the receiving team, once its window has passed: 409.
  const twice = await logged(testApp, billing)
  await call('POST', `/v1/complaints/${twice.id}/transfer`, billing, { team: 'delivery', reason: 'courier' })
  advance(2 * 60 * MINUTE + 1)
  const late = await call('POST', `/v1/complaints/${twice.id}/send-back`, courierLead, { reason: 'too late' })
  t.equal(late.statusCode, 409)
  t.equal(late.json().code, 'send_back_window_passed')
  t.match(late.json().detail, /sendBackWithin/)

  const never = await logged(testApp, billing)
  const nothing = await call('POST', `/v1/complaints/${never.id}/send-back`, billing, { reason: 'x' })
  t.equal(nothing.statusCode, 409, 'nothing was transferred')
  t.equal(nothing.json().code, 'invalid_transition')
})

t.test('sendBackWithin comes from the policy', async (t) => {
  const testApp = await setup(t)
  const { call, user, admin, advance } = testApp
  const policy = (await call('GET', '/v1/sla-policies', admin)).json()
  t.equal(policy.sendBackWithin, 'PT2H', 'the default')
  t.equal(policy.reopenWithin, 'P7D')
  t.equal(policy.followUpBy, 'not_resolver')
  const put = await call('PUT', '/v1/sla-policies', admin, { ...policy, sendBackWithin: 'PT10M' })
  const saved = put.json() as Record<string, unknown>
  t.equal(put.statusCode, 200, put.body)
  t.equal((await call('PUT', '/v1/sla-policies', admin, { ...saved, sendBackWithin: 'PT0S' })).statusCode, 400)
  t.equal((await call('PUT', '/v1/sla-policies', admin, { ...saved, followUpBy: 'nobody' })).statusCode, 400)
  const billing = await user('agent', { teams: ['billing'] })
  const courier = await user('agent', { teams: ['delivery'] })
  const complaint = await logged(testApp, billing)
  const moved = (await call('POST', `/v1/complaints/${complaint.id}/transfer`, billing, { team: 'delivery', reason: 'courier' })).json()
  t.equal(moved.transfer.sendBackUntil, '2026-12-01T02:10:00.000Z')
  advance(11 * MINUTE)
  t.equal((await call('POST', `/v1/complaints/${complaint.id}/send-back`, courier, { reason: 'late' })).json().code, 'send_back_window_passed')
})

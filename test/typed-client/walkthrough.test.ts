// One complaint from the call to closed, through nothing but the client generated from openapi.yaml: the real app on
// a loopback port, Postgres, Redis and the timer workers (which route the escalation). The example that
// docs/api-conventions.md ("Typed clients") points to.
import t from 'tap'
import { setupApp } from '../helpers/app.js'
import { startTestWorker, waitFor } from '../helpers/worker.js'
import { headersOf, hotlineClient } from './hotline-client.js'

t.test('a complaint from the call to closed, through the generated client', async (t) => {
  const testApp = await setupApp(t)
  startTestWorker(t, testApp)
  const baseUrl = await testApp.app.listen({ port: 0, host: '127.0.0.1' })
  const undocumented: string[] = []
  const admin = hotlineClient(baseUrl, testApp.admin.token, undocumented)

  const newSupervisor = await admin.POST('/v1/users', { body: { name: 'Lena Lead', role: 'supervisor', level: 1, compensationLimit: 500 } })
  const newAgent = await admin.POST('/v1/users', { body: { name: 'Ann Agent', role: 'agent', compensationLimit: 50 } })
  if (!newSupervisor.data || !newAgent.data) throw new Error('the admin could not create the staff')
  t.equal(newSupervisor.response.status, 201)
  t.match(newSupervisor.data, { role: 'supervisor', level: 1, compensationLimit: 500, active: true })
  t.match(newAgent.data, { role: 'agent', level: null, compensationLimit: 50 })
  const supervisorId = newSupervisor.data.id
  const supervisor = hotlineClient(baseUrl, newSupervisor.data.token, undocumented)
  const agent = hotlineClient(baseUrl, newAgent.data.token, undocumented)

  // The agent takes the call. A retry with the same Idempotency-Key is the same complaint, not a second one.
  const call = {
    customer: { name: 'Li Wei', phone: '+86 138 0013 8000' },
    category: 'delivery',
    severity: 'high' as const,
    summary: 'Parcel arrived damaged',
    product: 'kettle',
    region: 'east',
  }
  const idempotencyKey = `walkthrough-${testApp.prefix}`
  const created = await agent.POST('/v1/complaints', { params: { header: { 'idempotency-key': idempotencyKey } }, body: call })
  if (!created.data) throw new Error(`intake failed: ${JSON.stringify(created.error)}`)
  const complaintId = created.data.id
  t.equal(created.response.status, 201)
  t.match(created.data, { state: 'logged', version: 2, severity: 'high', channel: 'phone', assigneeId: newAgent.data.id })
  t.match(created.data.reference, /^C-\d{8}-\d{6}$/)
  t.equal(created.data.customer.phone, '+8613800138000', 'the phone is stored in E.164')
  t.same(created.data.deadlines.map((deadline) => deadline.kind).sort(), ['response', 'response_warning'])
  // The body is typed as either answer (200 replay or 201 intake): only the intake's suggests incidents.
  t.same('suggestedIncidents' in created.data ? created.data.suggestedIncidents : undefined, [])
  t.ok(created.data.actions.includes('escalate'))
  const createdTag = headersOf<'createComplaint', 201>(created.response).get('etag')
  t.equal(createdTag, '"2"', 'the ETag is the version')

  const replayed = await agent.POST('/v1/complaints', { params: { header: { 'idempotency-key': idempotencyKey } }, body: call })
  t.equal(replayed.response.status, 200, 'a replay answers the first complaint')
  t.equal(replayed.data?.id, complaintId)
  const mismatch = await agent.POST('/v1/complaints', {
    params: { header: { 'idempotency-key': idempotencyKey } },
    body: { ...call, summary: 'Another complaint under the same key' },
  })
  t.equal(mismatch.response.status, 422)
  t.equal(mismatch.error?.code, 'idempotency_mismatch', 'the problem+json answer is the typed error')
  t.equal(mismatch.response.headers.get('content-type'), 'application/problem+json; charset=utf-8')

  // Above the agent's limit: the agent escalates, at the version they saw.
  const escalated = await agent.POST('/v1/complaints/{id}/escalate', {
    params: { path: { id: complaintId }, header: { 'if-match': createdTag ?? '' } },
    body: { reason: 'refund above my limit', note: 'customer asks for 120 CNY' },
  })
  if (!escalated.data) throw new Error(`escalation failed: ${JSON.stringify(escalated.error)}`)
  t.match(escalated.data, { state: 'escalated', version: 3, escalation: { level: 1, reason: 'refund above my limit', acknowledgedAt: null } })
  t.same(escalated.data.deadlines.map((deadline) => deadline.kind), ['escalation_ack'])
  t.notOk(escalated.data.actions.includes('acknowledge'), 'an agent may not acknowledge')

  // The router hands the escalation to the only level-1 supervisor, who finds it in their queue.
  const queued = await waitFor(async () => {
    const { data } = await supervisor.GET('/v1/escalations', { params: { query: { assigneeId: 'me', status: 'open' } } })
    return data?.items.find((item) => item.id === complaintId)
  }, 30_000, 'the escalation to reach the supervisor')
  t.match(queued, { state: 'escalated', escalation: { level: 1, assigneeId: supervisorId, acknowledgedAt: null } })
  t.ok(queued.actions.includes('acknowledge'))

  const seen = await supervisor.GET('/v1/complaints/{id}', { params: { path: { id: complaintId } } })
  if (!seen.data) throw new Error(`read failed: ${JSON.stringify(seen.error)}`)
  const seenTag = headersOf<'getComplaint', 200>(seen.response).get('etag') ?? ''
  t.equal(seenTag, `"${seen.data.version}"`)
  const acknowledged = await supervisor.POST('/v1/complaints/{id}/acknowledge', {
    params: { path: { id: complaintId }, header: { 'if-match': seenTag } },
    body: {},
  })
  if (!acknowledged.data) throw new Error(`acknowledge failed: ${JSON.stringify(acknowledged.error)}`)
  t.match(acknowledged.data, { state: 'escalated', assigneeId: supervisorId, escalation: { assigneeId: supervisorId } })
  t.ok(acknowledged.data.escalation?.acknowledgedAt)
  t.same(acknowledged.data.deadlines.map((deadline) => deadline.kind), ['escalation_response'])

  // A write at a version the complaint has moved past is refused: the error path, typed.
  const stale = await supervisor.POST('/v1/complaints/{id}/resolve', {
    params: { path: { id: complaintId }, header: { 'if-match': seenTag } },
    body: { summary: 'refund' },
  })
  t.equal(stale.response.status, 412)
  t.notOk(stale.data)
  t.match(stale.error, { code: 'version_conflict', status: 412, type: '/problems/version_conflict' })

  const acknowledgedTag = headersOf<'acknowledgeEscalation', 200>(acknowledged.response).get('etag') ?? ''
  t.equal(acknowledgedTag, `"${acknowledged.data.version}"`)
  const resolved = await supervisor.POST('/v1/complaints/{id}/resolve', {
    params: { path: { id: complaintId }, header: { 'if-match': acknowledgedTag } },
    body: { summary: 'Refunded the kettle', compensation: { kind: 'refund', amount: 120, currency: 'CNY' } },
  })
  if (!resolved.data) throw new Error(`resolve failed: ${JSON.stringify(resolved.error)}`)
  t.match(resolved.data, { state: 'follow_up', resolution: { mode: 'after_escalation', resolvedBy: supervisorId } })
  t.same(resolved.data.resolution?.compensation, { kind: 'refund', amount: 120, currency: 'CNY' })
  t.same(resolved.data.deadlines.map((deadline) => deadline.kind), ['follow_up'])

  // The follow-up call is someone else's than the resolver's: the agent calls back, and the customer is satisfied.
  const followedUp = await agent.POST('/v1/complaints/{id}/follow-up', {
    params: { path: { id: complaintId }, header: { 'if-match': headersOf<'resolveComplaint', 200>(resolved.response).get('etag') ?? '' } },
    body: { outcome: 'satisfied', satisfaction: 5, comment: 'new kettle works' },
  })
  if (!followedUp.data) throw new Error(`follow-up failed: ${JSON.stringify(followedUp.error)}`)
  t.match(followedUp.data, { state: 'closed', closeReason: 'satisfied', followUp: { attempts: 1, outcome: 'satisfied', satisfaction: 5 } })
  t.ok(followedUp.data.closedAt)
  t.same(followedUp.data.deadlines, [])

  const closedEscalate = await agent.POST('/v1/complaints/{id}/escalate', { params: { path: { id: complaintId } }, body: { reason: 'again' } })
  t.equal(closedEscalate.response.status, 409)
  t.equal(closedEscalate.error?.code, 'invalid_transition')
  t.same(closedEscalate.error?.allowed, followedUp.data.actions, 'the refusal lists what the complaint still allows')

  // Read back, found by filters, and its history.
  const readBack = await agent.GET('/v1/complaints/{id}', { params: { path: { id: complaintId } } })
  if (!readBack.data) throw new Error(`read failed: ${JSON.stringify(readBack.error)}`)
  t.match(readBack.data, { id: complaintId, state: 'closed', version: followedUp.data.version, assigneeId: supervisorId })
  t.equal(headersOf<'getComplaint', 200>(readBack.response).get('etag'), `"${followedUp.data.version}"`)

  const listed = await agent.GET('/v1/complaints', {
    params: { query: { state: 'closed', category: 'delivery', severity: 'high', customerPhone: '+8613800138000', assigneeId: supervisorId, limit: 10 } },
  })
  if (!listed.data) throw new Error(`list failed: ${JSON.stringify(listed.error)}`)
  t.same(listed.data.items.map((item) => item.id), [complaintId])
  t.equal(listed.data.nextCursor, null)
  t.equal(headersOf<'listComplaints', 200>(listed.response).get('link'), null, 'no next page, no Link')
  const elsewhere = await agent.GET('/v1/complaints', { params: { query: { state: 'logged' } } })
  t.same(elsewhere.data?.items, [], 'a filter that does not match lists nothing')

  const history = await agent.GET('/v1/complaints/{id}/events', { params: { path: { id: complaintId } } })
  if (!history.data) throw new Error(`history failed: ${JSON.stringify(history.error)}`)
  const events = history.data.items
  t.same(events.map((event) => event.seq), events.map((_event, index) => index + 1), 'one event per version, in order')
  t.equal(events.at(-1)?.seq, followedUp.data.version)
  t.same(events.map((event) => event.type), [
    'complaint.received', 'complaint.logged', 'complaint.escalated', 'escalation.assigned', 'escalation.acknowledged',
    'complaint.resolved', 'follow_up.recorded',
  ])
  t.same(events[2]?.actor, { id: newAgent.data.id, role: 'agent' })
  t.same(events[4]?.actor, { id: supervisorId, role: 'supervisor' })

  t.same(undocumented, [], 'every answer is one the document describes')
})

import t from 'tap'
import { fireTimer } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp, type TestApp } from '../helpers/app.js'

const HOUR = 3_600_000
type Deadline = { kind: string; dueAt: string }

async function loggedComplaint(testApp: TestApp, overrides: Record<string, unknown> = {}) {
  const agent = await testApp.user('agent')
  const created = await testApp.call('POST', '/v1/complaints', agent, aComplaint({ severity: 'urgent', ...overrides }))
  if (created.statusCode !== 201) throw new Error(created.body)
  return { agent, complaint: created.json() }
}

const later = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString()
const deadline = (complaint: { deadlines: Deadline[] }, kind: string) => complaint.deadlines.find((d) => d.kind === kind)?.dueAt

t.test('requested, approved by another supervisor: the promise, its deadline and its warning move', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const { agent, complaint } = await loggedComplaint(testApp)
  const lead = await user('supervisor', { level: 1 })
  const first = complaint.promisedBy as string
  t.equal(complaint.originalPromisedBy, first, 'the first promise, equal to the promise until an extension')
  t.equal(complaint.extension, null)
  t.ok(complaint.actions.includes('request-extension'), 'an agent may ask for more time')

  const until = later(first, 4 * HOUR)
  const asked = await call('POST', `/v1/complaints/${complaint.id}/request-extension`, agent,
    { until, reason: 'the spare part arrives tomorrow' }, { 'if-match': '"2"' })
  t.equal(asked.statusCode, 200, asked.body)
  const pending = asked.json()
  t.match(pending.extension, { status: 'pending', until, reason: 'the spare part arrives tomorrow', requestedBy: agent.id, decidedBy: null })
  t.equal(pending.promisedBy, first, 'a request moves nothing')
  t.equal(deadline(pending, 'response'), first, 'the deadline keeps running meanwhile')
  t.notOk(pending.actions.includes('request-extension'), 'one request at a time')

  const again = await call('POST', `/v1/complaints/${complaint.id}/request-extension`, agent, { until, reason: 'again' })
  t.equal(again.statusCode, 409)
  t.equal(again.json().code, 'extension_pending')

  const byAgent = await call('POST', `/v1/complaints/${complaint.id}/decide-extension`, agent, { approve: true })
  t.equal(byAgent.statusCode, 403, 'an agent does not decide')
  const listed = (await call('GET', '/v1/extension-requests?status=pending', lead)).json()
  t.same(listed.items.map((c: { id: string }) => c.id), [complaint.id], 'the supervisor sees the request waiting')
  t.ok(listed.items[0].actions.includes('decide-extension'))

  const approved = await call('POST', `/v1/complaints/${complaint.id}/decide-extension`, lead, { approve: true, note: 'ok, once' })
  t.equal(approved.statusCode, 200, approved.body)
  const moved = approved.json()
  t.equal(moved.promisedBy, until, 'the promise is the new time')
  t.equal(moved.originalPromisedBy, first, 'the first promise is kept')
  t.match(moved.extension, { status: 'approved', until, decidedBy: lead.id, note: 'ok, once' })
  t.equal(deadline(moved, 'response'), until, 'the response deadline is armed again for it')
  const warning = new Date(deadline(moved, 'response_warning')!).getTime()
  t.ok(warning > new Date(deadline(complaint, 'response_warning')!).getTime() && warning < new Date(until).getTime(),
    'and its warning, before the new time')
  const timers = await db.selectFrom('timers').select(['kind', 'cancelledAt']).where('complaintId', '=', complaint.id)
    .where('kind', 'in', ['response', 'response_warning']).where('armedSeq', '=', 2).execute()
  t.ok(timers.length === 2 && timers.every((x) => x.cancelledAt !== null), 'the old deadline and warning are cancelled')
  t.same((await call('GET', '/v1/extension-requests', lead)).json().items, [], 'nothing waits any more')

  const history = (await call('GET', `/v1/complaints/${complaint.id}/events`, agent)).json().items
  t.same(history.map((e: { type: string }) => e.type).slice(2), ['promise.extension_requested', 'promise.extended'])
  t.match(history[2].data, { until, reason: 'the spare part arrives tomorrow' })
  t.match(history[3].data, { approve: true, note: 'ok, once' })
})

t.test('refused: nothing moves; the requester may not decide their own; nothing pending: 409', async (t) => {
  const testApp = await setupApp(t)
  const { call, user } = await Promise.resolve(testApp)
  const { agent, complaint } = await loggedComplaint(testApp)
  const [lead, other] = [await user('supervisor', { level: 1 }), await user('supervisor', { level: 2 })]
  const none = await call('POST', `/v1/complaints/${complaint.id}/decide-extension`, lead, { approve: true })
  t.equal(none.statusCode, 409)
  t.equal(none.json().code, 'no_pending_extension')

  const until = later(complaint.promisedBy, HOUR)
  t.equal((await call('POST', `/v1/complaints/${complaint.id}/request-extension`, lead, { until, reason: 'waiting on the vendor' })).statusCode, 200)
  const own = await call('POST', `/v1/complaints/${complaint.id}/decide-extension`, lead, { approve: true })
  t.equal(own.statusCode, 403)
  t.equal(own.json().code, 'forbidden')
  t.match(own.json().detail, /another supervisor/)
  const refused = await call('POST', `/v1/complaints/${complaint.id}/decide-extension`, other, { approve: false, note: 'call them instead' })
  t.equal(refused.statusCode, 200, refused.body)
  t.match(refused.json(), { promisedBy: complaint.promisedBy, originalPromisedBy: complaint.promisedBy })
  t.match(refused.json().extension, { status: 'refused', decidedBy: other.id, note: 'call them instead' })
  t.equal(deadline(refused.json(), 'response'), deadline(complaint, 'response'), 'the deadline stays')
  const types = (await call('GET', `/v1/complaints/${complaint.id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
  t.same(types.slice(2), ['promise.extension_requested', 'promise.extension_refused'])
  t.ok((await call('POST', `/v1/complaints/${complaint.id}/request-extension`, agent, { until, reason: 'once more' })).statusCode === 200,
    'after a decision a new request may be made')
})

t.test('what a request may ask for, and when', async (t) => {
  const testApp = await setupApp(t)
  const { call, user } = testApp
  const { agent, complaint } = await loggedComplaint(testApp)
  const ask = (body: object, id = complaint.id) => call('POST', `/v1/complaints/${id}/request-extension`, agent, body)

  const notLater = await ask({ until: complaint.promisedBy, reason: 'x' })
  t.equal(notLater.statusCode, 400)
  t.match(notLater.json().errors, [{ field: 'body.until', message: /later than the promise in force/ }])
  const tooFar = await ask({ until: later(complaint.promisedBy, 31 * 24 * HOUR), reason: 'x' })
  t.equal(tooFar.statusCode, 400)
  t.match(tooFar.json().errors, [{ field: 'body.until', message: /P30D/ }])
  t.equal((await ask({ until: later(complaint.promisedBy, 30 * 24 * HOUR), reason: 'x' })).statusCode, 200, 'P30D exactly is allowed')
  t.equal((await ask({ until: 'tomorrow', reason: 'x' })).statusCode, 400, 'a date-time is required')

  const other = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  t.equal((await call('POST', `/v1/complaints/${other.id}/await-customer`, agent, {})).statusCode, 200)
  const waiting = await ask({ until: later(other.promisedBy, HOUR), reason: 'x' }, other.id)
  t.equal(waiting.statusCode, 409, 'not while waiting for the customer')
  t.equal(waiting.json().code, 'invalid_transition')

  const lead = await user('supervisor', { level: 1 })
  const escalated = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${escalated.id}/escalate`, agent, { reason: 'above me' })
  const afterEscalation = await ask({ until: later(escalated.promisedBy, HOUR), reason: 'x' }, escalated.id)
  t.equal(afterEscalation.statusCode, 409, 'only in logged')
  t.equal(afterEscalation.json().code, 'invalid_transition')
  const integration = await user('integration')
  t.equal((await call('POST', `/v1/complaints/${complaint.id}/request-extension`, integration, { until: later(complaint.promisedBy, HOUR), reason: 'x' })).statusCode, 403)
  t.equal((await call('GET', '/v1/extension-requests', agent)).statusCode, 403, 'the list is for supervisors')
  t.equal((await call('GET', '/v1/extension-requests?status=approved', lead)).statusCode, 400, 'only pending requests are listed')
})

t.test('a request still pending when the complaint leaves logged lapses, in its own history row', async (t) => {
  const testApp = await setupApp(t)
  const { call, db } = testApp
  const { agent, complaint } = await loggedComplaint(testApp)
  const until = later(complaint.promisedBy, HOUR)
  await call('POST', `/v1/complaints/${complaint.id}/request-extension`, agent, { until, reason: 'part on its way' })

  // The deadline falls due while the request waits: it fires as before, and the request lapses with it.
  const response = await db.selectFrom('timers').select('id').where('complaintId', '=', complaint.id)
    .where('kind', '=', 'response').executeTakeFirstOrThrow()
  t.equal((await fireTimer(db, response.id, new Date(new Date(complaint.promisedBy).getTime() + 1000))).outcome, 'fired')
  const after = (await call('GET', `/v1/complaints/${complaint.id}`, agent)).json()
  t.equal(after.state, 'escalated')
  t.match(after.extension, { status: 'lapsed', until })
  t.equal(after.version, 6, 'the missed deadline, the lapse, and the routing of the escalation')
  const history = (await call('GET', `/v1/complaints/${complaint.id}/events`, agent)).json().items
  t.same(history.map((e: { type: string; seq: number }) => [e.seq, e.type]).slice(2),
    [[3, 'promise.extension_requested'], [4, 'deadline.response_missed'], [5, 'promise.extension_lapsed'], [6, 'escalation.assigned']])

  // By an agent's own action too (resolved on the spot while a request waited).
  const second = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${second.id}/request-extension`, agent, { until: later(second.promisedBy, HOUR), reason: 'x' })
  const resolved = await call('POST', `/v1/complaints/${second.id}/resolve`, agent, { summary: 'sorted after all' }, { 'if-match': '"3"' })
  t.equal(resolved.statusCode, 200, resolved.body)
  t.match(resolved.json(), { state: 'follow_up', version: 5, extension: { status: 'lapsed' } })
  t.equal(resolved.headers.etag, '"5"', 'the answer is the complaint after both')
  const lead = await testApp.user('supervisor', { level: 1 })
  t.same((await call('GET', '/v1/extension-requests', lead)).json().items, [], 'a lapsed request is not listed')
})

t.test('extension requests are listed soonest promise first, a page at a time', async (t) => {
  const testApp = await setupApp(t)
  const { call, user } = testApp
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  const ids: string[] = []
  for (const hours of [5, 1, 3]) {
    const promisedBy = new Date(Date.now() + hours * HOUR).toISOString()
    const { id } = (await call('POST', '/v1/complaints', agent, aComplaint({ promisedBy }))).json()
    await call('POST', `/v1/complaints/${id}/request-extension`, agent, { until: later(promisedBy, HOUR), reason: 'x' })
    ids.push(id)
  }
  const first = (await call('GET', '/v1/extension-requests?limit=2', lead)).json()
  t.same(first.items.map((c: { id: string }) => c.id), [ids[1], ids[2]])
  t.type(first.nextCursor, 'string')
  const second = (await call('GET', `/v1/extension-requests?limit=2&cursor=${first.nextCursor}`, lead)).json()
  t.same(second.items.map((c: { id: string }) => c.id), [ids[0]])
  t.equal(second.nextCursor, null)
  t.equal((await call('GET', '/v1/extension-requests?cursor=nope', lead)).statusCode, 400)
})

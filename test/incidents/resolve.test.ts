// Resolving an incident: each open complaint its own resolve within the caller's authority, each customer told; the
// incident resolves once nothing is open; two resolves at once resolve each complaint once.
import t from 'tap'
import { fireTimers } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp, type TestApp, type TestUser } from '../helpers/app.js'
import { anIntegration, signed } from '../webhooks/fixtures/webhooks.js'

const SMS = { SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms', SMS_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' }

let phones = 0
async function logged(testApp: TestApp, as: TestUser) {
  const phone = `+86 139 0013 ${String(1000 + ++phones)}`
  const created = await testApp.call('POST', '/v1/complaints', as, aComplaint({ customer: { name: 'Caller', phone } }))
  if (created.statusCode !== 201) throw new Error(created.body)
  return created.json() as { id: string; reference: string }
}

async function received(testApp: TestApp) {
  const shop = await anIntegration(testApp)
  const body = JSON.stringify(aComplaint({ customer: { phone: `+86 139 0013 ${String(1000 + ++phones)}` } }))
  const answer = await testApp.app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, body), payload: body })
  if (answer.statusCode !== 202) throw new Error(answer.body)
  return answer.json() as { id: string; reference: string }
}

async function linkedIncident(testApp: TestApp, lead: TestUser, complaintIds: string[]) {
  const { id } = (await testApp.call('POST', '/v1/incidents', lead, { title: 'Courier depot flooded' })).json()
  const linked = await testApp.call('POST', `/v1/incidents/${id}/complaints`, lead, { complaintIds })
  if (linked.statusCode !== 200) throw new Error(linked.body)
  return linked.json() as { id: string; version: number }
}

const resolvedEvents = async (testApp: TestApp, id: string) =>
  testApp.db.selectFrom('complaintEvents').selectAll().where('complaintId', '=', id).where('type', '=', 'complaint.resolved').execute()

t.test("each open complaint is resolved within the caller's authority; the rest are skipped with their code", async (t) => {
  const testApp = await setupApp(t, { config: SMS })
  const { call, user, db } = testApp
  const agent = await user('agent', { compensationLimit: 50 })
  const lead = await user('supervisor', { level: 1, compensationLimit: 500 })
  const manager = await user('supervisor', { level: 2, compensationLimit: 1_000 })
  const first = await logged(testApp, agent)
  const second = await logged(testApp, agent)
  const atLevel1 = await logged(testApp, agent)
  await call('POST', `/v1/complaints/${atLevel1.id}/escalate`, agent, { reason: 'angry' })
  const atLevel2 = await logged(testApp, agent)
  await call('POST', `/v1/complaints/${atLevel2.id}/escalate`, agent, { reason: 'angry' })
  await call('POST', `/v1/complaints/${atLevel2.id}/escalate`, lead, { reason: 'needs a manager' })
  const untriaged = await received(testApp)
  const incident = await linkedIncident(testApp, lead, [first.id, second.id, atLevel1.id, atLevel2.id, untriaged.id])

  for (const as of [agent, testApp.admin]) {
    const refused = await call('POST', `/v1/incidents/${incident.id}/resolve`, as, { summary: 'x' })
    t.same([refused.statusCode, refused.json().code], [403, 'forbidden'], `${as.role} may not resolve an incident`)
  }
  const stale = await call('POST', `/v1/incidents/${incident.id}/resolve`, lead, { summary: 'x' }, { 'if-match': '"1"' })
  t.same([stale.statusCode, stale.json().code], [412, 'version_conflict'], 'a stale If-Match')
  t.match(stale.json().detail, /incident is at version 2/)
  t.equal((await resolvedEvents(testApp, first.id)).length, 0, 'and nothing resolved')
  const unknown = await call('POST', '/v1/incidents/6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a/resolve', lead, { summary: 'x' })
  t.same([unknown.statusCode, unknown.json().code], [404, 'not_found'])
  t.equal((await call('POST', `/v1/incidents/${incident.id}/resolve`, lead, {})).statusCode, 400, 'a summary is required')

  const answer = await call('POST', `/v1/incidents/${incident.id}/resolve`, lead,
    { summary: 'The depot reopened; parcels re-sent', compensation: { kind: 'voucher', amount: 100, currency: 'CNY' } }, { 'if-match': `"${incident.version}"` })
  t.equal(answer.statusCode, 200, answer.body)
  const { resolved, skipped, incident: after } = answer.json()
  t.same([...resolved].sort(), [first.id, second.id, atLevel1.id].sort(), 'logged, and escalated at the caller\'s level')
  t.same(skipped.map((s: { id: string }) => s.id).sort(), [atLevel2.id, untriaged.id].sort())
  t.match(skipped.find((s: { id: string }) => s.id === atLevel2.id), { reference: atLevel2.reference, code: 'forbidden', detail: /may not resolve/ })
  t.match(skipped.find((s: { id: string }) => s.id === untriaged.id), { reference: untriaged.reference, code: 'invalid_transition', detail: /received/ })
  t.match(after, { state: 'open', complaintCount: 5, openCount: 2, version: 3, resolvedAt: null,
    resolution: { summary: 'The depot reopened; parcels re-sent', compensation: { kind: 'voucher', amount: 100, currency: 'CNY' }, resolvedBy: lead.id } })
  t.equal(answer.headers.etag, '"3"')

  for (const id of resolved as string[]) {
    const complaint = (await call('GET', `/v1/complaints/${id}`, agent)).json()
    t.equal(complaint.state, 'follow_up')
    t.match(complaint.resolution, { summary: 'The depot reopened; parcels re-sent', resolvedBy: lead.id, compensation: { kind: 'voucher', amount: 100 } })
    t.same(complaint.deadlines.map((d: { kind: string }) => d.kind), ['follow_up'], 'its response deadlines cancelled, its follow-up call armed')
    const [event] = await resolvedEvents(testApp, id)
    t.match(event?.data, { incidentId: incident.id, summary: 'The depot reopened; parcels re-sent' }, 'its history names the incident')
    t.equal(event?.actorId, lead.id)
    const told = await db.selectFrom('notifications').select('kind').where('complaintId', '=', id).where('kind', '=', 'complaint_resolved').execute()
    t.equal(told.length, 1, 'the customer is told once')
  }
  for (const s of skipped as { id: string }[]) {
    t.not((await call('GET', `/v1/complaints/${s.id}`, agent)).json().state, 'follow_up', 'a skipped complaint stays open')
    t.equal((await resolvedEvents(testApp, s.id)).length, 0)
  }

  // The manager resolves the escalation above the lead; the received one is withdrawn: nothing is open, so the incident
  // whose resolve was asked for resolves, whichever way its last complaint went.
  t.equal((await call('POST', `/v1/complaints/${atLevel2.id}/resolve`, manager, { summary: 'handled by the manager' })).statusCode, 200)
  t.match((await call('GET', `/v1/incidents/${incident.id}`, agent)).json(), { state: 'open', openCount: 1 })
  t.equal((await call('POST', `/v1/complaints/${untriaged.id}/withdraw`, agent, { reason: 'duplicate call' })).statusCode, 200)
  const done = (await call('GET', `/v1/incidents/${incident.id}`, agent)).json()
  t.match(done, { state: 'resolved', openCount: 0, complaintCount: 5, version: 4 })
  t.ok(done.resolvedAt, 'with the time it resolved')
  const again = await call('POST', `/v1/incidents/${incident.id}/resolve`, manager, { summary: 'again' })
  t.same([again.statusCode, again.json().code], [409, 'incident_resolved'], 'a resolved incident is not resolved again')
  const listed = (await call('GET', '/v1/incidents?state=resolved', agent)).json().items
  t.same(listed.map((i: { id: string }) => i.id), [incident.id])
})

t.test('above the compensation limit: skipped as authority_exceeded, resolved later by someone with the authority', async (t) => {
  const testApp = await setupApp(t)
  const { call, user } = testApp
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1, compensationLimit: 500 })
  const director = await user('supervisor', { level: 3, compensationLimit: 10_000 })
  const a = await logged(testApp, agent)
  const b = await logged(testApp, agent)
  const incident = await linkedIncident(testApp, lead, [a.id, b.id])
  const refund = { summary: 'Refund for the outage', compensation: { kind: 'refund', amount: 800, currency: 'CNY' } }

  const over = (await call('POST', `/v1/incidents/${incident.id}/resolve`, lead, refund)).json()
  t.same(over.resolved, [])
  t.same(over.skipped.map((s: { code: string }) => s.code), ['authority_exceeded', 'authority_exceeded'])
  t.match(over.skipped[0].detail, /above your limit/)
  t.match(over.incident, { state: 'open', openCount: 2, resolution: { resolvedBy: lead.id } })

  const done = (await call('POST', `/v1/incidents/${incident.id}/resolve`, director, refund, { 'if-match': `"${over.incident.version}"` })).json()
  t.same([...done.resolved].sort(), [a.id, b.id].sort())
  t.same(done.skipped, [])
  t.match(done.incident, { state: 'resolved', openCount: 0, resolution: { resolvedBy: director.id } })
  t.ok(done.incident.resolvedAt)
  t.same(done.incident.complaints.map((c: { state: string }) => c.state), ['follow_up', 'follow_up'])
})

t.test('an incident with nothing open resolves at once; unlinking the last open complaint after a resolve resolves it', async (t) => {
  const testApp = await setupApp(t)
  const { call, user } = testApp
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1, compensationLimit: 500 })
  const a = await logged(testApp, agent)
  const incident = await linkedIncident(testApp, lead, [a.id])
  await call('POST', `/v1/complaints/${a.id}/resolve`, agent, { summary: 'on the spot' })
  t.match((await call('GET', `/v1/incidents/${incident.id}`, agent)).json(), { state: 'open', openCount: 0 }, 'open until a supervisor says the cause is fixed')
  const answer = (await call('POST', `/v1/incidents/${incident.id}/resolve`, lead, { summary: 'fixed' })).json()
  t.same([answer.resolved, answer.skipped], [[], []])
  t.equal(answer.incident.state, 'resolved')

  const untriaged = await received(testApp)
  const second = await linkedIncident(testApp, lead, [untriaged.id])
  const partial = (await call('POST', `/v1/incidents/${second.id}/resolve`, lead, { summary: 'fixed' })).json()
  t.same(partial.skipped.map((s: { code: string }) => s.code), ['invalid_transition'])
  const unlinked = (await call('DELETE', `/v1/incidents/${second.id}/complaints/${untriaged.id}`, agent)).json()
  t.match(unlinked, { state: 'resolved', openCount: 0, complaintCount: 0 })
})

t.test('a timer that closes the last complaint left open resolves the incident, as the worker fires it', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1, compensationLimit: 100 })
  const waiting = await logged(testApp, agent)
  await call('POST', `/v1/complaints/${waiting.id}/await-customer`, agent, {})
  const incident = await linkedIncident(testApp, lead, [waiting.id])
  const answer = (await call('POST', `/v1/incidents/${incident.id}/resolve`, lead, { summary: 'refund', compensation: { kind: 'refund', amount: 500 } })).json()
  t.same(answer.skipped.map((s: { code: string }) => s.code), ['authority_exceeded'])
  t.equal(answer.incident.state, 'open')
  const close = await db.selectFrom('timers').select(['id', 'dueAt']).where('complaintId', '=', waiting.id).where('kind', '=', 'awaiting_close')
    .executeTakeFirstOrThrow()
  const fired = await fireTimers(db, [close.id], close.dueAt)
  t.equal(fired.get(close.id)?.outcome, 'fired')
  t.match((await call('GET', `/v1/complaints/${waiting.id}`, agent)).json(), { state: 'closed', closeReason: 'no_response' })
  t.match((await call('GET', `/v1/incidents/${incident.id}`, agent)).json(), { state: 'resolved', openCount: 0, resolvedAt: close.dueAt.toISOString() },
    'resolved in the timer batch\'s own transaction, at the time the complaint closed')
})

t.test('two supervisors resolving one incident at once resolve each complaint once', async (t) => {
  const testApp = await setupApp(t, { config: SMS })
  const { call, user, db } = testApp
  const agent = await user('agent')
  const one = await user('supervisor', { level: 2, compensationLimit: 1_000 })
  const two = await user('supervisor', { level: 2, compensationLimit: 1_000 })

  for (let round = 0; round < 3; round++) {
    const ids: string[] = []
    for (let i = 0; i < 8; i++) ids.push((await logged(testApp, agent)).id)
    const incident = await linkedIncident(testApp, one, ids)
    const answers = await Promise.all([
      call('POST', `/v1/incidents/${incident.id}/resolve`, one, { summary: 'fixed by one' }),
      call('POST', `/v1/incidents/${incident.id}/resolve`, two, { summary: 'fixed by two' }),
      // An agent resolving one of them through the complaint's own route at the same moment.
      call('POST', `/v1/complaints/${ids[3]}/resolve`, agent, { summary: 'by hand' }),
    ])
    for (const answer of answers) t.ok(answer.statusCode < 500, `no 5xx (${answer.statusCode} ${answer.body.slice(0, 160)})`)
    const [a, b] = answers.slice(0, 2).map((r) => r.json() as { resolved?: string[]; code?: string })
    const byIncident = [...(a!.resolved ?? []), ...(b!.resolved ?? [])]
    t.equal(new Set(byIncident).size, byIncident.length, `round ${round}: no complaint is in both answers`)
    const byHand = answers[2]!.statusCode === 200
    t.same([...byIncident, ...(byHand ? [ids[3]] : [])].sort(), [...ids].sort(), `round ${round}: between them, every complaint resolved`)
    const later = (a!.resolved ?? []).length > 0 ? b! : a!
    t.ok(later.code === 'incident_resolved' || later.resolved?.length === 0, `round ${round}: the later resolve finds nothing left`)
    for (const id of ids) {
      t.equal((await resolvedEvents(testApp, id)).length, 1, `round ${round}: ${id} resolved exactly once`)
      const told = await db.selectFrom('notifications').select('kind').where('complaintId', '=', id).where('kind', '=', 'complaint_resolved').execute()
      t.equal(told.length, 1, 'its customer told once')
    }
    t.match((await call('GET', `/v1/incidents/${incident.id}`, agent)).json(), { state: 'resolved', openCount: 0, complaintCount: 8 })
  }
})

import t from 'tap'
import { fireTimer } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { readSse, type SseMessage } from '../helpers/sse.js'

const stream = (address: string, token: string, lastEventId?: string) =>
  fetch(`${address}/v1/me/stream`, { headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } })

/** Reads until `done`, resolving `connected` on the stream's `: connected`. */
function listen(response: Response, done: (messages: SseMessage[], comments: string[]) => boolean) {
  let connected!: () => void
  const isConnected = new Promise<void>((resolve) => (connected = resolve))
  const messages = readSse(response, done, (text) => { if (text === 'connected') connected() })
  return { isConnected, messages }
}

t.test('the feed: each person hears what concerns them, with ids; a reconnect replays what it missed', async (t) => {
  const { app, call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const other = await user('agent')
  const [lead, second] = [await user('supervisor', { level: 1 }), await user('supervisor', { level: 2 })]
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal((await stream(address, (await user('integration')).token)).status, 403, 'agents and supervisors only')

  const { id, promisedBy } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const until = new Date(Date.parse(promisedBy) + 3_600_000).toISOString()
  const agentLive = listen(await stream(address, agent.token), (m) => m.some((x) => x.event === 'promise.extension_refused'))
  const leadLive = listen(await stream(address, lead.token), (m) => m.some((x) => x.event === 'promise.extension_requested'))
  await Promise.all([agentLive.isConnected, leadLive.isConnected])

  await call('POST', `/v1/complaints/${id}/request-extension`, agent, { until, reason: 'waiting for the part' })
  const requested = (await leadLive.messages).find((m) => m.event === 'promise.extension_requested')!
  t.match(requested.data, { type: 'promise.extension_requested', complaintId: id, seq: 3, until })
  t.equal(requested.id, requested.data.id, 'the id line is the message id')
  t.match(requested.id, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z_[0-9a-f-]{36}_3$/)
  await call('POST', `/v1/complaints/${id}/decide-extension`, second, { approve: false })
  const agentHeard = await agentLive.messages
  t.same(agentHeard.map((m) => m.event), ['promise.extension_refused'], 'the requester hears the decision, not their own request')
  const lastSeen = agentHeard[0]!.id!

  // The agent goes away; meanwhile the warning fires (as the worker fires it, writing Postgres only: no live push in
  // this test) and another request of theirs is approved.
  const warning = await db.selectFrom('timers').select(['id', 'dueAt']).where('complaintId', '=', id).where('kind', '=', 'response_warning')
    .executeTakeFirstOrThrow()
  await fireTimer(db, warning.id)
  await call('POST', `/v1/complaints/${id}/request-extension`, agent, { until, reason: 'still waiting' })
  await call('POST', `/v1/complaints/${id}/decide-extension`, lead, { approve: true })

  const back = listen(await stream(address, agent.token, lastSeen), (m) => m.some((x) => x.event === 'promise.extended'))
  await back.isConnected
  const fresh = (await back.messages).filter((m) => m.id !== lastSeen)
  t.same(fresh.map((m) => m.event), ['deadline.warning', 'promise.extended'], 'what happened meanwhile, in order, before `connected`')
  t.match(fresh[0]!.data, { complaintId: id, assigneeId: agent.id, dueAt: warning.dueAt.toISOString() })
  t.ok(fresh.every((m) => m.id! > lastSeen), 'ids order as the events did')

  // Someone else's replay of the same span holds none of it.
  const bystander = listen(await stream(address, other.token, lastSeen), (_m, comments) => comments.includes('connected'))
  await bystander.isConnected
  t.same(await bystander.messages, [], 'another agent hears nothing of it')

  const bad = await stream(address, agent.token, 'not-an-id')
  t.equal(bad.status, 400, 'an id this stream never gave out')
})

t.test('at risk: the caller\'s promises, soonest first, with the time left and whether warned', async (t) => {
  let now = Date.parse('2026-11-02T01:00:00Z')
  const { call, user, db, admin } = await setupApp(t, { clock: () => new Date(now) })
  const policy = (await call('GET', '/v1/sla-policies', admin)).json() as Record<string, unknown>
  await call('PUT', '/v1/sla-policies', admin, { ...policy, businessHours: { urgent: false, high: false, normal: false, low: false } })
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  const later = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'high' }))).json() // PT8H
  const sooner = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'urgent' }))).json() // PT2H
  const escalated = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'low' }))).json()
  await call('POST', `/v1/complaints/${escalated.id}/escalate`, agent, { reason: 'above me' })
  await call('POST', `/v1/complaints/${escalated.id}/acknowledge`, lead, {})

  now += 3_600_000
  const mine = await call('GET', '/v1/me/at-risk', agent)
  t.equal(mine.statusCode, 200, mine.body)
  t.same(mine.json().items.map((i: { complaint: { id: string } }) => i.complaint.id), [sooner.id, later.id], 'soonest first; the escalated one is not theirs now')
  t.match(mine.json().items[0], { deadline: 'response', promisedBy: sooner.promisedBy, dueAt: sooner.promisedBy, remaining: 'PT1H', warned: false })
  t.equal(mine.json().items[1].remaining, 'PT7H')

  const warning = await db.selectFrom('timers').select(['id', 'dueAt']).where('complaintId', '=', sooner.id).where('kind', '=', 'response_warning')
    .executeTakeFirstOrThrow()
  await fireTimer(db, warning.id, warning.dueAt)
  now += 90 * 60_000 + 30_000
  const page = (await call('GET', '/v1/me/at-risk?limit=1', agent)).json()
  t.match(page.items[0], { remaining: 'PT0S', warned: true }, 'due: PT0S; the warning has fired')
  const next = (await call('GET', `/v1/me/at-risk?limit=1&cursor=${page.nextCursor}`, agent)).json()
  t.same(next.items.map((i: { complaint: { id: string } }) => i.complaint.id), [later.id])
  t.equal(next.nextCursor, null)

  const theirs = (await call('GET', '/v1/me/at-risk', lead)).json()
  t.match(theirs.items, [{ complaint: { id: escalated.id }, deadline: 'escalation_response' }], 'the supervisor\'s own deadline')
  t.equal((await call('GET', '/v1/me/at-risk', admin)).statusCode, 403)
})

import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { readSse, type SseMessage } from '../helpers/sse.js'

const stream = (address: string, token: string, lastEventId?: string) =>
  fetch(`${address}/v1/escalations/stream`, { headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } })

function listen(response: Response, done: (messages: SseMessage[], comments: string[]) => boolean) {
  let connected!: () => void
  const isConnected = new Promise<void>((resolve) => (connected = resolve))
  return { isConnected, messages: readSse(response, done, (text) => { if (text === 'connected') connected() }) }
}

t.test('the escalation stream: ids on every event, and a reconnect with Last-Event-ID replays what it missed', async (t) => {
  const { app, call, user } = await setupApp(t)
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const first = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const second = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'Another one' }))).json()

  const live = listen(await stream(address, lead.token), (m) => m.some((x) => x.event === 'complaint.escalated'))
  await live.isConnected
  await call('POST', `/v1/complaints/${first.id}/escalate`, agent, { reason: 'above my limit' })
  const seen = (await live.messages).find((m) => m.event === 'complaint.escalated')!
  t.match(seen.id, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z_[0-9a-f-]{36}_3\.0$/, 'the history row and its place among the announcements')

  // Away: the second complaint escalates, the first is acknowledged.
  await call('POST', `/v1/complaints/${second.id}/escalate`, agent, { reason: 'angry customer' })
  t.equal((await call('POST', `/v1/complaints/${first.id}/acknowledge`, lead, {})).statusCode, 200)

  const back = listen(await stream(address, lead.token, seen.id), (_m, comments) => comments.includes('connected'))
  const replayed = await back.messages
  t.ok(replayed.some((m) => m.id === seen.id), 'the overlap sends the last event seen again, with the very same id')
  const fresh = replayed.filter((m) => m.id !== seen.id)
  t.same(fresh.map((m) => [m.event, m.data.complaintId]), [['complaint.escalated', second.id], ['escalation.acknowledged', first.id]],
    'what happened meanwhile, in order')
  t.equal((await stream(address, lead.token, 'garbage')).status, 400)
})

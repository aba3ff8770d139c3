import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker } from '../helpers/worker.js'
import { readSse } from '../helpers/sse.js'

interface Message { event: string; data: { complaintId: string; assigneeId: string | null; level: number | null } }

/** Reads Server-Sent Events until `done` says stop. */
const readEvents = (response: Response, done: (messages: Message[]) => boolean, onConnected = () => {}, timeoutMs = 15_000) =>
  readSse(response, (messages) => done(messages as unknown as Message[]), (text) => { if (text === 'connected') onConnected() }, timeoutMs) as
    unknown as Promise<Message[]>

t.test('a supervisor connected to the stream hears the escalation assigned to them', async (t) => {
  const testApp = await setupApp(t)
  const { app, call, user, admin } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ escalationAck: 'PT1H', response: { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' } }))
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  startTestWorker(t, testApp)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })

  const refused = await fetch(`${address}/v1/escalations/stream`, { headers: { authorization: `Bearer ${agent.token}` } })
  t.equal(refused.status, 403)
  t.match(refused.headers.get('content-type'), /application\/problem\+json/)

  const stream = await fetch(`${address}/v1/escalations/stream`, { headers: { authorization: `Bearer ${lead.token}` } })
  t.equal(stream.status, 200)
  t.match(stream.headers.get('content-type'), /text\/event-stream/)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  let connected!: () => void
  const isConnected = new Promise<void>((resolve) => (connected = resolve))
  const listening = readEvents(stream, (messages) => messages.some((m) => m.event === 'escalation.assigned'), connected)
  await isConnected
  await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'refund above my limit' })
  const messages = await listening
  const assigned = messages.find((m) => m.event === 'escalation.assigned')
  t.ok(assigned, `heard: ${messages.map((m) => m.event).join(', ')}`)
  t.equal(assigned?.data.complaintId, id)
  t.equal(assigned?.data.assigneeId, lead.id)
  t.equal(assigned?.data.level, 1)
})

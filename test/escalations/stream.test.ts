import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker } from '../helpers/worker.js'

interface Message { event: string; data: { complaintId: string; assigneeId: string | null; level: number | null } }

/** Reads Server-Sent Events until `done` says stop. */
async function readEvents(response: Response, done: (messages: Message[]) => boolean, onConnected = () => {}, timeoutMs = 15_000): Promise<Message[]> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const messages: Message[] = []
  let buffer = ''
  const timer = setTimeout(() => void reader.cancel(), timeoutMs)
  try {
    while (!done(messages)) {
      const { value, done: ended } = await reader.read()
      if (ended) break
      buffer += decoder.decode(value, { stream: true })
      let split: number
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split)
        buffer = buffer.slice(split + 2)
        if (block === ': connected') onConnected()
        const event = /^event: (.+)$/m.exec(block)?.[1]
        const data = /^data: (.+)$/m.exec(block)?.[1]
        if (event && data) messages.push({ event, data: JSON.parse(data) })
      }
    }
  } finally {
    clearTimeout(timer)
    await reader.cancel().catch(() => {})
  }
  return messages
}

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

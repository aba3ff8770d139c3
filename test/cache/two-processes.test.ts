import type { ChildProcess } from 'node:child_process'
import t, { type Test } from 'tap'
import { aComplaint, REDIS_URL } from '../helpers/app.js'
import { spawnCli } from '../helpers/child-env.js'
import { freePort } from '../helpers/own-postgres.js'
import { fastPolicy, waitFor } from '../helpers/worker.js'
import { setupWebhookApp, startDeliveries, startReceiver } from '../webhooks/fixtures/webhooks.js'

// Two real `api` processes on one database and one Redis. What one of them changes, the other sees within CACHE_TTL
// (1 s): the test waits for it (and fails if it never comes) but measures no time; the bound itself is proven with
// a hand-moved clock in caches.test.ts. The process that made the change must see it at once: asserted without
// waiting.

const ROOT = new URL('../..', import.meta.url).pathname
// A child loading through tsx on a busy two-core machine can take a minute.
const BOOT_MS = 120_000
const SEEN_MS = 30_000

interface Api {
  name: string
  call: (method: string, path: string, token: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>
}

async function startApi(t: Test, name: string, env: Record<string, string>): Promise<Api> {
  const port = await freePort()
  const output: string[] = []
  const child: ChildProcess = spawnCli(['api'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const keep = (chunk: Buffer) => {
    output.push(String(chunk))
    if (output.length > 200) output.shift()
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  const base = `http://127.0.0.1:${port}`
  const call: Api['call'] = async (method, path, token, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
  }
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`api ${name} exited (${child.exitCode})`)
      return fetch(`${base}/readyz`).then((r) => r.ok, () => false)
    }, BOOT_MS, `api ${name} to be ready`)
  } catch (error) {
    t.comment(output.join('').slice(-3_000))
    throw error
  }
  return { name, call }
}

t.test('two api processes: a change made through one is seen by the other', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { admin, db, prefix } = testApp
  startDeliveries(t, testApp)
  const receiver = await startReceiver(t)
  const env = {
    DATABASE_URL: testApp.databaseUrl, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    DATABASE_POOL_SIZE: '4', CACHE_TTL: 'PT1S',
  }
  const [a, b] = await Promise.all([startApi(t, 'A', env), startApi(t, 'B', env)])

  const created = async (api: Api, token: string, overrides: Record<string, unknown> = {}) => {
    const answer = await api.call('POST', '/v1/complaints', token, aComplaint({ summary: `through ${api.name}`, ...overrides }))
    if (answer.status !== 201) throw new Error(`${api.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
    return answer.body as unknown as { id: string; createdAt: string; promisedBy: string }
  }
  const agentThrough = async (api: Api) => {
    const answer = await api.call('POST', '/v1/users', admin.token, { name: `agent via ${api.name}`, role: 'agent' })
    t.equal(answer.status, 201)
    return answer.body as unknown as { id: string; token: string }
  }

  await t.test('a token deactivated through A: refused by A at once, by B soon after', async (t) => {
    const agent = await agentThrough(a)
    t.equal((await b.call('GET', '/v1/me', agent.token)).status, 200, 'B knows the token (and holds it in memory)')
    t.equal((await a.call('GET', '/v1/me', agent.token)).status, 200, 'so does A')
    t.equal((await a.call('PATCH', `/v1/users/${agent.id}`, admin.token, { active: false })).status, 200)
    t.equal((await a.call('GET', '/v1/me', agent.token)).status, 401, 'A: at once')
    await waitFor(async () => (await b.call('GET', '/v1/me', agent.token)).status === 401, SEEN_MS, 'B to refuse the token')
    t.pass('B refuses it too')
    t.equal((await b.call('POST', '/v1/complaints', agent.token, aComplaint())).status, 401, 'and refuses its commands')
  })

  await t.test('a policy put through A is what B applies to its next complaint', async (t) => {
    const agent = await agentThrough(a)
    const window = (c: { createdAt: string; promisedBy: string }) => Date.parse(c.promisedBy) - Date.parse(c.createdAt)
    const sevenHours = 7 * 3_600_000
    t.not(window(await created(b, agent.token)), sevenHours, 'B holds the policy before the change')
    const put = await a.call('PUT', '/v1/sla-policies', admin.token, fastPolicy({ response: { urgent: 'PT1H', high: 'PT2H', normal: 'PT7H', low: 'P1D' } }))
    t.equal(put.status, 200, JSON.stringify(put.body))
    t.equal(window(await created(a, agent.token)), sevenHours, 'A applies it at once')
    await waitFor(async () => window(await created(b, agent.token)) === sevenHours, SEEN_MS, 'B to apply the new policy')
    t.pass('B applies it')
    t.equal((await b.call('GET', '/v1/sla-policies', admin.token)).body.version, put.body.version, 'and shows it')
  })

  await t.test('an endpoint created through A receives the events of a transition made through B', async (t) => {
    const agent = await agentThrough(a)
    await created(b, agent.token) // B holds the list of endpoints: none yet
    const endpoint = await a.call('POST', '/v1/webhook-endpoints', admin.token, { url: receiver.url, events: ['complaint.received', 'complaint.logged'] })
    t.equal(endpoint.status, 201, JSON.stringify(endpoint.body))
    receiver.setSecret(String(endpoint.body.secret))
    const endpointId = String(endpoint.body.id)
    const deliveriesOf = (complaintId: string) =>
      db.selectFrom('webhookDeliveries').select('id').where('complaintId', '=', complaintId).where('endpointId', '=', endpointId).execute()
    const throughA = await created(a, agent.token)
    t.equal((await deliveriesOf(throughA.id)).length, 2, 'A writes the events for it at once')
    const throughB = await waitFor(async () => {
      const complaint = await created(b, agent.token)
      return (await deliveriesOf(complaint.id)).length > 0 ? complaint : undefined
    }, SEEN_MS, 'B to write events for the new endpoint')
    t.equal((await deliveriesOf(throughB.id)).length, 2, 'received and logged')
    await waitFor(async () => receiver.accepted().filter((r) => r.body.data.complaintId === throughB.id).length === 2, SEEN_MS,
      "the endpoint to receive B's events")
    const types = receiver.accepted().filter((r) => r.body.data.complaintId === throughB.id).map((r) => r.body.type)
    t.same(types.sort(), ['complaint.logged', 'complaint.received'], 'the endpoint received the events of the transition made through B')
    t.ok(receiver.received.every((r) => r.verified), 'signed with the secret A gave out')
  })
})

import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

const json = { 'content-type': 'application/json' }

function refused(t: Test, response: LightMyRequestResponse, field: string) {
  t.equal(response.statusCode, 400, `${field}: ${response.body.slice(0, 300)}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.json().code, 'validation_failed')
  t.ok(response.json().errors.some((e: { field: string }) => e.field === field), `names ${field}`)
}

/** A JSON text with one field replaced by raw JSON (JSON.stringify cannot write 1e999). */
const withRaw = (body: Record<string, unknown>, field: string, raw: string) =>
  JSON.stringify({ ...body, [field]: '__RAW__' }).replace('"__RAW__"', raw)

t.test('an SLA policy with a wrong type or an infinite number is refused whole and saves nothing', async (t) => {
  const { call, admin } = await setupApp(t)
  const cases: [string, string][] = [
    ['maxLevel', '"1e999"'],
    ['maxLevel', '1e999'],
    ['maxLevel', 'true'],
    ['maxLevel', '"2"'],
    ['followUpAttempts', '"1e999"'],
    ['followUpAttempts', '-1e999'],
    ['warnAt', '"0.5"'],
  ]
  for (const [field, raw] of cases) {
    refused(t, await call('PUT', '/v1/sla-policies', admin, withRaw(fastPolicy(), field, raw), json), `body.${field}`)
  }
  const current = (await call('GET', '/v1/sla-policies', admin)).json()
  t.equal(current.version, 0, 'nothing was saved')
  t.equal(current.maxLevel, 3)
})

t.test('JSON bodies are not coerced; query strings and headers still convert from their string form', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent', { compensationLimit: 100 })
  const complaint = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  refused(t, await call('POST', `/v1/complaints/${complaint.id}/resolve`, agent,
    { summary: 'refund', compensation: { kind: 'refund', amount: '80' } }), 'body.compensation.amount')
  refused(t, await call('POST', `/v1/complaints/${complaint.id}/resolve`, agent,
    withRaw({ summary: 'refund' }, 'compensation', '{"kind": "refund", "amount": 1e999}'), json), 'body.compensation.amount')
  refused(t, await call('POST', '/v1/complaints', agent, aComplaint({ summary: 42 })), 'body.summary')
  refused(t, await call('POST', '/v1/complaints', agent, aComplaint({ category: ['delivery'] })), 'body.category')
  t.equal((await call('GET', `/v1/complaints/${complaint.id}`, agent)).json().version, complaint.version, 'nothing changed')

  const page = await call('GET', '/v1/complaints?limit=1&overdue=false', agent)
  t.equal(page.statusCode, 200, 'limit=1 and overdue=false are read from their string form')
  t.equal(page.json().items.length, 1)
  refused(t, await call('GET', '/v1/complaints?limit=1e999', agent), 'querystring.limit')
  refused(t, await call('GET', '/v1/complaints?limit=Infinity', agent), 'querystring.limit')
  const stale = await call('POST', `/v1/complaints/${complaint.id}/notes`, agent, { text: 'hi' }, { 'if-match': '"99"' })
  t.equal(stale.statusCode, 412, 'headers are still read as strings')
  const resolved = await call('POST', `/v1/complaints/${complaint.id}/resolve`, agent,
    { summary: 'refund', compensation: { kind: 'refund', amount: 80, currency: 'CNY' } })
  t.equal(resolved.statusCode, 200, 'a real number passes')
})

t.test('a body with 15,000 unknown fields answers a small 400: at most 20 errors and how many more', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const extra = Object.fromEntries(Array.from({ length: 15_000 }, (_, i) => [`f${i}`, i]))
  const response = await call('POST', '/v1/complaints', agent, aComplaint(extra))
  t.equal(response.statusCode, 400)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  const body = response.json()
  t.equal(body.code, 'validation_failed')
  t.equal(body.errors.length, 20)
  t.equal(body.moreErrors, 15_000 - 20)
  t.match(body.errors[0], { field: 'body.f0', message: 'is not a known field' })
  t.ok(response.body.length < 4_000, `the answer is ${response.body.length} bytes`)
  const few = (await call('POST', '/v1/complaints', agent, aComplaint({ a: 1, b: 2 }))).json()
  t.equal(few.errors.length, 2)
  t.notOk('moreErrors' in few, 'moreErrors only when some were left out')
})

import t from 'tap'
import { setupApp } from '../helpers/app.js'

const { call, user, logs } = await setupApp(t)
const agent = await user('agent')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const linesWith = (id: string) => logs.map((line) => JSON.parse(line) as { reqId?: string; msg: string }).filter((l) => l.reqId === id)

t.test('every response carries a generated x-request-id, and the logs use it', async (t) => {
  const seen = new Set<string>()
  for (const [url, as] of [['/healthz', null], ['/v1/complaints', agent], ['/v1/nowhere', null], ['/v1/complaints', null]] as const) {
    const response = await call('GET', url, as)
    const id = response.headers['x-request-id']
    t.match(id, UUID, `${url} answered ${response.statusCode} with a request id`)
    seen.add(String(id))
  }
  t.equal(seen.size, 4, 'a new id per request')
  const [, listed] = [...seen]
  t.ok(linesWith(listed!).some((l) => l.msg === 'request completed'), 'the request is logged under its id')
})

t.test('a valid incoming x-request-id is echoed and logged', async (t) => {
  for (const given of ['abc-123', 'trace.id:7_Z', 'r'.repeat(128), '0af7651916cd43dd8448eb211c80319c']) {
    const response = await call('GET', '/v1/complaints', agent, undefined, { 'x-request-id': given })
    t.equal(response.headers['x-request-id'], given)
    t.ok(linesWith(given).length >= 2, `log lines carry ${given.slice(0, 20)}`)
  }
})

t.test('an invalid incoming x-request-id is replaced, never logged', async (t) => {
  const invalid = ['r'.repeat(129), 'has space', '<script>', 'a\\b', 'line\u0085break', 'quote"d', '{"level":60}', 'ü']
  for (const given of invalid) {
    const response = await call('GET', '/v1/complaints', agent, undefined, { 'x-request-id': given })
    const id = response.headers['x-request-id']
    t.not(id, given, `${JSON.stringify(given.slice(0, 20))} is not echoed`)
    t.match(id, UUID, 'a fresh id replaces it')
    t.ok(linesWith(String(id)).length >= 2, 'the logs use the replacement')
    t.notOk(logs.some((line) => (JSON.parse(line) as { reqId?: string }).reqId === given), 'the invalid id is not logged')
  }
})

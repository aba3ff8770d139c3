// No client mistake answers 500: a battery of malformed requests against several routes.
import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

const { call, user } = await setupApp(t)
const agent = await user('agent')
const lead = await user('supervisor')
const created = await call('POST', '/v1/complaints', agent, aComplaint())
t.equal(created.statusCode, 201, 'a complaint to act on')
const id = created.json().id as string
const c = `/v1/complaints/${id}`

const json = { 'content-type': 'application/json' }
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const enc = encodeURIComponent
const deepArray = '['.repeat(20_000) + ']'.repeat(20_000)
const deepObject = '{"customer":' + '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000) + '}'

interface Case {
  name: string
  method?: string
  url: string
  body?: string | object
  headers?: Record<string, string>
  as?: 'agent' | 'lead' | 'none'
}

const headerCases: Case[] = [
  { name: 'bare Bearer', url: '/v1/complaints', as: 'none', headers: { authorization: 'Bearer' } },
  { name: 'Bearer with spaces', url: '/v1/complaints', as: 'none', headers: { authorization: 'Bearer a b c' } },
  { name: 'huge bearer token', url: '/v1/complaints', as: 'none', headers: { authorization: `Bearer ${'x'.repeat(8_000)}` } },
  { name: 'latin-1 bearer token', url: '/v1/complaints', as: 'none', headers: { authorization: 'Bearer \xff\xfe' } },
  { name: 'garbage request id', url: '/v1/complaints', headers: { 'x-request-id': '\t../../${jndi}' } },
  { name: 'huge request id', url: '/v1/complaints', headers: { 'x-request-id': 'r'.repeat(5_000) } },
  { name: 'odd Accept', url: c, headers: { accept: 'application/xml;q=2, */*;q=nan' } },
  { name: 'unknown charset', method: 'POST', url: '/v1/complaints', body: JSON.stringify(aComplaint()), headers: { 'content-type': 'application/json; charset=klingon' } },
  { name: 'content type junk', method: 'POST', url: '/v1/complaints', body: '{}', headers: { 'content-type': ';;;==' } },
  { name: 'multipart body', method: 'POST', url: '/v1/complaints', body: '--x--', headers: { 'content-type': 'multipart/form-data; boundary=x' } },
  { name: 'text/plain on an action', method: 'POST', url: `${c}/notes`, body: 'hello', headers: { 'content-type': 'text/plain' } },
  { name: 'long Idempotency-Key', method: 'POST', url: '/v1/complaints', body: aComplaint(), headers: { 'idempotency-key': 'k'.repeat(300) } },
]

const ifMatchCases: Case[] = ['"abc"', '"-1"', 'W/"x"', '"99999999999999999999"', ',,,', '"1", junk', '*, "2"', '""'].map((value) => ({
  name: `If-Match ${value}`, method: 'POST', url: `${c}/notes`, body: { text: 'checking' }, headers: { 'if-match': value },
}))

const queryCases: Case[] = [
  'cursor=abc', 'cursor=%21%21%21', `cursor=${b64('null')}`, `cursor=${b64([])}`, `cursor=${b64({ t: 'x' })}`,
  `cursor=${b64({ t: '2026-01-01T00:00:00Z', id: '-'.repeat(36) })}`,
  `cursor=${b64({ t: '2026-01-01T00:00:00Z', id: 'ffffffffffffffffffffffffffffffffffff' })}`,
  `cursor=${b64({ t: '-200000-01-01T00:00:00Z', id: '00000000-0000-4000-8000-000000000000' })}`,
  `cursor=${b64({ t: '+275760-09-13T00:00:00Z', id: '00000000-0000-4000-8000-000000000000' })}`,
  `cursor=${'x'.repeat(500)}`,
  'limit=999999999999999999999', 'limit=-1', 'limit=1e3', 'limit=NaN', 'limit=1.5', 'limit=1&limit=2', 'state=logged&state=closed',
  'customerPhone=%2B', 'customerPhone=abc', 'customerPhone=%00%00%00', `customerPhone=${enc('+86'.repeat(13))}`,
  'q=%25', 'q=%5C', `q=${enc("'; drop table complaints; --")}`, 'q=a%00b', 'overdue=maybe', 'assigneeId=not-a-uuid',
  'category=%00%00', 'unknown=1', '%', '%E0%A4%A',
].map((query) => ({ name: `GET /v1/complaints?${query}`, url: `/v1/complaints?${query}` }))

const bodies: [string, string][] = [
  ['array', '[]'], ['null', 'null'], ['string', '"complaint"'], ['number', '123'], ['boolean', 'true'],
  ['__proto__', '{"__proto__":{"admin":true}}'], ['constructor.prototype', '{"constructor":{"prototype":{"x":1}}}'],
  ['deep array', deepArray], ['deep object', deepObject], ['trailing garbage', '{"text":"a"} x'],
  ['duplicate keys', '{"text":"a","text":"b"}'], ['lone surrogate', '{"text":"\\ud800"}'],
]
const bodyCases: Case[] = bodies.flatMap(([name, body]) => [
  { name: `${name} to POST /v1/complaints`, method: 'POST', url: '/v1/complaints', body, headers: json },
  { name: `${name} to notes`, method: 'POST', url: `${c}/notes`, body, headers: json },
  { name: `${name} to acknowledge`, method: 'POST', url: `${c}/acknowledge`, body, headers: json, as: 'lead' as const },
])

const valueCases: Case[] = [
  aComplaint({ summary: 'nul \u0000 inside' }),
  aComplaint({ customer: { name: 'nul\u0000', phone: '+8613800138000' } }),
  aComplaint({ customer: { email: 'a\u0000@example.com' } }),
  aComplaint({ promisedBy: '0000-01-01T00:00:00Z' }),
  aComplaint({ promisedBy: '1970-01-01T00:00:00Z' }),
  aComplaint({ promisedBy: '2026-02-30T25:61:00Z' }),
  aComplaint({ severity: ['high'] }),
  aComplaint({ customer: [] }),
  aComplaint({ customer: { phone: '+'.padEnd(40, '9') } }),
].map((body, i) => ({ name: `POST /v1/complaints value ${i}`, method: 'POST', url: '/v1/complaints', body }))

const actionCases: Case[] = [
  { name: 'resolve with 1e308', method: 'POST', url: `${c}/resolve`, body: { summary: 's', compensation: { kind: 'refund', amount: 1e308 } } },
  { name: 'resolve with 0.001', method: 'POST', url: `${c}/resolve`, body: { summary: 's', compensation: { kind: 'refund', amount: 0.001 } } },
  { name: 'follow-up 5.5', method: 'POST', url: `${c}/follow-up`, body: { outcome: 'satisfied', satisfaction: 5.5 } },
  { name: 'assign to nobody', method: 'POST', url: `${c}/assign`, body: { assigneeId: '00000000-0000-0000-0000-000000000000' }, as: 'lead' },
  { name: 'note with NUL', method: 'POST', url: `${c}/notes`, body: { text: 'a\u0000b' } },
  { name: 'action on unknown id', method: 'POST', url: '/v1/complaints/00000000-0000-4000-8000-000000000000/notes', body: { text: 'x' } },
  { name: 'nil uuid', url: '/v1/complaints/00000000-0000-0000-0000-000000000000' },
  { name: 'uuid with NUL', url: `/v1/complaints/${id}%00` },
  { name: 'unknown action', method: 'POST', url: `${c}/explode`, body: {} },
  { name: 'PUT on a collection', method: 'PUT', url: '/v1/complaints', body: {} },
  { name: 'PATCH unknown user', method: 'PATCH', url: '/v1/users/00000000-0000-4000-8000-000000000000', body: { level: 9 } },
  { name: 'missing docs asset', url: '/docs/static/nope.js', as: 'none' },
]

const cases = [...headerCases, ...ifMatchCases, ...queryCases, ...bodyCases, ...valueCases, ...actionCases]
const who = { agent, lead, none: null }

t.test('every malformed request answers below 500, as problem+json when refused', async (t) => {
  for (const each of cases) {
    const response = await call(each.method ?? 'GET', each.url, who[each.as ?? 'agent'], each.body, each.headers)
    t.ok(response.statusCode < 500, `${each.name}: ${response.statusCode} ${response.statusCode >= 500 ? response.body : ''}`)
    if (response.statusCode >= 400 && !each.url.startsWith('/docs')) {
      t.match(response.headers['content-type'], /^application\/problem\+json/, `${each.name}: problem+json`)
    }
  }
})

t.test('the complaint is still whole afterwards', async (t) => {
  const after = await call('GET', c, agent)
  t.equal(after.statusCode, 200)
  t.equal(after.json().state, 'logged')
})

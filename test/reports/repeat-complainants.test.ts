import t from 'tap'
import { setupApp } from '../helpers/app.js'
import { insertComplaint, parseCsv, text, withReports } from './fixtures/support.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

t.test('customers with min or more complaints in the last days, with their categories; JSON and CSV', async (t) => {
  const { db, call, admin, user } = await setupApp(t, withReports)
  const ann = await user('agent', { name: 'Ann' })
  const now = Date.now()
  const customer = async (name: string, identity: { phone?: string; email?: string }) =>
    (await db.insertInto('customers').values({ name, phone: identity.phone ?? null, email: identity.email ?? null, externalId: null, tier: 'gold' })
      .returning('id').executeTakeFirstOrThrow()).id
  const pat = await customer('Pat', { phone: '+8613800000001' })
  const quinn = await customer('=Quinn, "Q"', { email: 'q@example.com' })
  const ray = await customer('Ray', { phone: '+8613800000003' })
  const sam = await customer('Sam', { phone: '+8613800000004' })
  let n = 0
  const complaint = async (customerId: string, category: string, ageMs: number) => {
    const at = new Date(now - ageMs).toISOString()
    await insertComplaint(db, {
      reference: `R-${++n}`, createdAt: at, customerId, category, state: 'logged', promisedBy: at,
      events: [
        { type: 'complaint.received', at, actor: { id: ann.id, role: 'agent' } },
        { type: 'complaint.logged', at, actor: { id: ann.id, role: 'agent' } },
      ],
    })
    return at
  }
  const patLast = await complaint(pat, 'delivery', DAY - HOUR)
  await complaint(pat, 'billing', 5 * DAY)
  await complaint(pat, 'delivery', 20 * DAY)
  const quinnLast = await complaint(quinn, 'quality', 2 * DAY)
  await complaint(quinn, 'refund', 40 * DAY)
  const rayLast = await complaint(ray, 'service', 3 * DAY)
  await complaint(ray, 'service', 4 * DAY)
  await complaint(sam, 'delivery', HOUR)

  const get = async (query: string) => {
    const response = await call('GET', `/v1/reports/repeat-complainants${query}`, admin)
    t.equal(response.statusCode, 200, response.body)
    return response.json()
  }
  const item = (id: string, name: string, phone: string | null, email: string | null, complaints: number, categories: string[], last: string) =>
    ({ customer: { id, name, phone, email, externalId: null, tier: 'gold' }, complaints, categories, lastComplaintAt: last })
  const P = item(pat, 'Pat', '+8613800000001', null, 3, ['billing', 'delivery'], patLast)
  const R = item(ray, 'Ray', '+8613800000003', null, 2, ['service'], rayLast)
  const Q = item(quinn, '=Quinn, "Q"', null, 'q@example.com', 2, ['quality', 'refund'], quinnLast)

  const defaults = await get('')
  t.same({ ...defaults, since: undefined }, { min: 2, days: 30, since: undefined, total: 2, nextCursor: null, items: [P, R] }, 'default: 2 or more in 30 days')
  t.ok(Math.abs(Date.parse(defaults.since) - (now - 30 * DAY)) < 60_000, 'since is 30 days ago')
  t.same((await get('?min=3&days=30')).items, [P])
  t.same((await get('?min=2&days=60')).items, [P, Q, R], 'most complaints first, then the most recent')
  const limited = await get('?min=2&days=60&limit=1')
  t.same([limited.total, limited.items], [3, [P]], 'limit cuts the list; total counts them all')
  t.same((await get('?min=2&days=1')).items, [], 'nobody has two in a day')
  t.same((await get('?min=1&days=1')).items.map((i: { customer: { name: string } }) => i.customer.name), ['Sam', 'Pat'], 'the most recent first')

  const json = await get('?min=2&days=60')
  const csv = await call('GET', '/v1/reports/repeat-complainants?min=2&days=60', admin, undefined, { accept: 'text/csv' })
  t.equal(csv.statusCode, 200)
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8; header=present')
  t.equal(csv.headers['content-disposition'], 'attachment; filename="repeat-complainants_2-in-60d.csv"')
  const [header, ...rows] = parseCsv(csv.body)
  t.same(header, ['customerId', 'name', 'phone', 'email', 'externalId', 'tier', 'complaints', 'categories', 'lastComplaintAt'])
  t.match(csv.body, /,"'=Quinn, ""Q""",/, 'a formula-like name is guarded')
  t.match(csv.body, /,'\+8613800000001,/, 'a phone number stays text in a spreadsheet')
  const back = rows.map((r) => ({
    customer: { id: r[0], name: text(r[1]!), phone: text(r[2]!), email: text(r[3]!), externalId: text(r[4]!), tier: text(r[5]!) },
    complaints: Number(r[6]),
    categories: r[7]!.split('; '),
    lastComplaintAt: r[8],
  }))
  t.same(back, json.items, 'the CSV parses back to the JSON')

  for (const query of ['?min=0', '?days=0', '?days=abc', '?limit=5000', '?since=2026-01-01']) {
    const refused = await call('GET', `/v1/reports/repeat-complainants${query}`, admin)
    t.equal(refused.statusCode, 400, query)
    t.equal(refused.json().code, 'validation_failed')
  }
  const empty = await call('GET', '/v1/reports/repeat-complainants?min=50', admin, undefined, { accept: 'text/csv' })
  t.equal(empty.body, 'customerId,name,phone,email,externalId,tier,complaints,categories,lastComplaintAt\r\n', 'no customer: the header alone')
})

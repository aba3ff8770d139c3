import t from 'tap'
import { aComplaint, type TestApp } from '../helpers/app.js'
import { anIntegration, setupWebhookApp, signed } from '../webhooks/fixtures/webhooks.js'

const INTAKE = (id: string) => `/v1/webhooks/${id}/complaints`
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

type Integration = Awaited<ReturnType<typeof anIntegration>>

/** The signed intake, as an integration's gateway posts it. */
async function intake(testApp: TestApp, shop: Integration, body: Record<string, unknown>) {
  const payload = JSON.stringify(body)
  return testApp.app.inject({ method: 'POST', url: INTAKE(shop.id), headers: signed(shop.secret, payload), payload })
}

t.test('GET /v1/customers/{id}: the customer with its newest complaints, for agents, supervisors, admins', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, user, admin } = testApp
  const agent = await user('agent')
  const supervisor = await user('supervisor')
  const customer = { name: 'Li Wei', phone: '+86 138 0013 8000', email: 'Li@Example.com', externalId: 'crm-7', language: 'en', notify: false }
  const created: { id: string; reference: string; createdAt: string }[] = []
  for (let i = 0; i < 52; i++) {
    const response = await call('POST', '/v1/complaints', agent, aComplaint({ customer, category: i % 2 ? 'billing' : 'delivery' }))
    t.equal(response.statusCode, 201, response.body)
    created.push(response.json())
  }
  const first = (await call('GET', `/v1/complaints/${created[0]!.id}`, agent)).json()
  const id = first.customer.id as string

  for (const who of [agent, supervisor, admin]) {
    const response = await call('GET', `/v1/customers/${id}`, who)
    t.equal(response.statusCode, 200, `${who.role}: ${response.body}`)
  }
  const body = (await call('GET', `/v1/customers/${id}`, agent)).json()
  t.match(body, {
    id, name: 'Li Wei', phone: '+8613800138000', email: 'li@example.com', externalId: 'crm-7', tier: null,
    language: 'en', notify: false, createdAt: String, updatedAt: String,
  })
  t.same(Object.keys(body).sort(),
    ['complaints', 'createdAt', 'email', 'externalId', 'id', 'language', 'name', 'notify', 'phone', 'tier', 'updatedAt'])
  t.equal(body.complaints.length, 50, 'the 50 newest')
  const newest = [...created].reverse().slice(0, 50)
  t.same(body.complaints.map((c: { id: string }) => c.id), newest.map((c) => c.id), 'newest first')
  t.same(body.complaints[0], {
    id: newest[0]!.id, reference: newest[0]!.reference, state: 'logged', category: 'billing', createdAt: newest[0]!.createdAt,
  })

  const unknown = await call('GET', `/v1/customers/${UNKNOWN}`, agent)
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'not_found')
  t.equal(unknown.headers['content-type'], 'application/problem+json; charset=utf-8')
  const malformed = await call('GET', '/v1/customers/not-a-uuid', agent)
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().code, 'validation_failed')
  t.equal((await call('GET', `/v1/customers/${id}`, null)).statusCode, 401)
})

t.test('an integration reads only the customers of complaints it sent, and only those complaints', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, user } = testApp
  const agent = await user('agent')
  const shop = await anIntegration(testApp)
  const other = await anIntegration(testApp)
  const customer = { phone: '+86 138 0013 8000' }
  const sent = await intake(testApp, shop, aComplaint({ customer }))
  t.equal(sent.statusCode, 202, sent.body)
  const byAgent = (await call('POST', '/v1/complaints', agent, aComplaint({ customer }))).json()
  const id = sent.json().customer.id as string
  t.equal(byAgent.customer.id, id, 'one customer')

  const seen = await call('GET', `/v1/customers/${id}`, shop)
  t.equal(seen.statusCode, 200, seen.body)
  t.same(seen.json().complaints.map((c: { id: string }) => c.id), [sent.json().id], 'only the complaints it sent')
  t.same((await call('GET', `/v1/customers/${id}`, agent)).json().complaints.map((c: { id: string }) => c.id),
    [byAgent.id, sent.json().id], 'an agent sees them all')

  const refused = await call('GET', `/v1/customers/${id}`, other)
  t.equal(refused.statusCode, 404, 'another integration: as if it did not exist')
  t.equal(refused.json().code, 'not_found')
  const lone = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { email: 'lone@example.com' } }))).json()
  t.equal((await call('GET', `/v1/customers/${lone.customer.id}`, shop)).statusCode, 404)
  t.equal((await call('GET', `/v1/customers/${UNKNOWN}`, shop)).statusCode, 404)
})

t.test('PATCH /v1/customers/{id}: supervisors and admins change name, tier, language, notify', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, user, admin } = testApp
  const agent = await user('agent')
  const supervisor = await user('supervisor')
  const shop = await anIntegration(testApp)
  const complaint = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const id = complaint.customer.id as string
  const before = (await call('GET', `/v1/customers/${id}`, agent)).json()

  const changed = await call('PATCH', `/v1/customers/${id}`, supervisor, { name: 'Li Wei (Mr)', tier: 'gold', language: 'en', notify: false })
  t.equal(changed.statusCode, 200, changed.body)
  t.match(changed.json(), { id, name: 'Li Wei (Mr)', tier: 'gold', language: 'en', notify: false, phone: before.phone })
  t.same(changed.json().complaints.map((c: { id: string }) => c.id), [complaint.id])
  t.ok(Date.parse(changed.json().updatedAt) >= Date.parse(before.updatedAt))
  t.same((await call('GET', `/v1/customers/${id}`, agent)).json(), changed.json(), 'stored')
  t.equal((await call('GET', `/v1/complaints/${complaint.id}`, agent)).json().customer.tier, 'gold', 'the complaint shows the customer as it is')

  const cleared = await call('PATCH', `/v1/customers/${id}`, admin, { tier: null, language: null })
  t.equal(cleared.statusCode, 200, cleared.body)
  t.match(cleared.json(), { tier: null, language: null, name: 'Li Wei (Mr)', notify: false }, 'null clears; the rest is kept')

  for (const who of [agent, shop]) {
    const refused = await call('PATCH', `/v1/customers/${id}`, who, { tier: 'vip' })
    t.equal(refused.statusCode, 403, who.role)
    t.equal(refused.json().code, 'forbidden')
  }
  t.equal((await call('PATCH', `/v1/customers/${id}`, null, { tier: 'vip' })).statusCode, 401)
  const missing = await call('PATCH', `/v1/customers/${UNKNOWN}`, admin, { tier: 'vip' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'not_found')
  for (const [body, field] of [
    [{}, 'body'],
    [{ language: 'fr' }, 'body.language'],
    [{ tier: '' }, 'body.tier'],
    [{ name: null }, 'body.name'],
    [{ notify: 'no' }, 'body.notify'],
    [{ phone: '+8613900000000' }, 'body'],
  ] as const) {
    const refused = await call('PATCH', `/v1/customers/${id}`, admin, body)
    t.equal(refused.statusCode, 400, JSON.stringify(body))
    t.equal(refused.json().code, 'validation_failed')
    t.ok(refused.json().errors.some((e: { field: string }) => e.field.startsWith(field)), `${JSON.stringify(body)}: ${refused.body}`)
  }
  t.equal((await call('GET', `/v1/customers/${id}`, agent)).json().tier, null, 'nothing refused changed anything')
})

t.test("the tier rule: an agent's intake never sets a tier; the PATCH and an integration's intake do", async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, user } = testApp
  const agent = await user('agent')
  const supervisor = await user('supervisor')
  const shop = await anIntegration(testApp)
  const tierOf = async (id: string) => (await call('GET', `/v1/customers/${id}`, agent)).json().tier as string | null

  // A new customer named with a tier by an agent: created without one.
  const fresh = await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+8613800000001', tier: 'vip' } }))
  t.equal(fresh.statusCode, 201, fresh.body)
  t.equal(fresh.json().customer.tier, null, "an agent's intake does not set a new customer's tier")
  const id = fresh.json().customer.id as string
  t.equal(await tierOf(id), null)

  t.equal((await call('PATCH', `/v1/customers/${id}`, supervisor, { tier: 'silver' })).statusCode, 200)
  t.equal(await tierOf(id), 'silver', 'the PATCH sets it')

  // Neither an agent nor a supervisor logging a call changes it, up or down; the other fields still follow.
  for (const who of [agent, supervisor]) {
    const again = await call('POST', '/v1/complaints', who, aComplaint({ customer: { phone: '+8613800000001', tier: 'vip', email: `${who.role}@example.com` } }))
    t.equal(again.statusCode, 201, again.body)
    t.equal(again.json().customer.id, id)
    t.equal(again.json().customer.tier, 'silver', `${who.role}'s intake: the complaint carries the tier the customer has`)
    t.equal(await tierOf(id), 'silver', `${who.role}'s intake does not change it`)
  }
  t.equal((await call('GET', `/v1/customers/${id}`, agent)).json().email, 'agent@example.com', 'an identity it lacked is still added')

  // An integration's intake speaks for the customer's record: it may change the tier and set a new customer's.
  const known = await intake(testApp, shop, aComplaint({ customer: { phone: '+8613800000001', tier: 'gold' } }))
  t.equal(known.statusCode, 202, known.body)
  t.equal(known.json().customer.tier, 'gold')
  t.equal(await tierOf(id), 'gold', "an integration's intake changes it")
  const newOne = await intake(testApp, shop, aComplaint({ customer: { externalId: 'shop-42', tier: 'platinum' } }))
  t.equal(newOne.statusCode, 202, newOne.body)
  t.equal(await tierOf(newOne.json().customer.id), 'platinum', "and sets a new customer's")
  const untold = await intake(testApp, shop, aComplaint({ customer: { phone: '+8613800000001' } }))
  t.equal(untold.statusCode, 202)
  t.equal(await tierOf(id), 'gold', 'an intake that names no tier keeps it')
})

t.test('the signed intake takes channel: webhook by default, email or web when the gateway says so', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call } = testApp
  const shop = await anIntegration(testApp)
  for (const [channel, expected] of [[undefined, 'webhook'], ['webhook', 'webhook'], ['email', 'email'], ['web', 'web']] as const) {
    const response = await intake(testApp, shop, aComplaint(channel ? { channel } : {}))
    t.equal(response.statusCode, 202, response.body)
    t.equal(response.json().channel, expected, `${channel ?? 'none'}: answered`)
    const stored = await call('GET', `/v1/complaints/${response.json().id}`, shop)
    t.equal(stored.json().channel, expected, `${channel ?? 'none'}: stored`)
  }
  const emailed = (await call('GET', '/v1/complaints', shop)).json().items.filter((c: { channel: string }) => c.channel === 'email')
  t.equal(emailed.length, 1, 'listed with its channel')
  for (const channel of ['phone', 'walk_in', 'fax']) {
    const refused = await intake(testApp, shop, aComplaint({ channel }))
    t.equal(refused.statusCode, 400, channel)
    t.equal(refused.json().code, 'validation_failed')
    t.ok(refused.json().errors.some((e: { field: string }) => e.field === 'body.channel'), refused.body)
  }
})

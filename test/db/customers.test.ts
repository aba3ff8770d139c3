import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

t.test('one customer per identity, however it was typed', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const customerOf = async (customer: Record<string, string>) => {
    const response = await call('POST', '/v1/complaints', agent, aComplaint({ customer }))
    t.equal(response.statusCode, 201, response.body)
    return response.json().customer as { id: string; phone: string | null; email: string | null; name: string | null }
  }
  const customers = async () => db.selectFrom('customers').selectAll().orderBy('createdAt').execute()

  const byPhone = await customerOf({ name: 'Li Wei', phone: '+86 138 0013 8000' })
  t.equal(byPhone.phone, '+8613800138000', 'stored in E.164')
  t.equal((await customerOf({ phone: '+8613800138000' })).id, byPhone.id, 'E.164')
  t.equal((await customerOf({ phone: '+86-138-0013-8000' })).id, byPhone.id, 'dashes')
  t.equal((await customerOf({ phone: '+86 (138) 0013 8000' })).id, byPhone.id, 'brackets')

  const byEmail = await customerOf({ email: 'Wang.Fang@Example.COM' })
  t.equal(byEmail.email, 'wang.fang@example.com', 'stored lower-cased')
  t.equal((await customerOf({ email: 'wang.fang@example.com' })).id, byEmail.id)
  t.equal((await customerOf({ email: 'WANG.FANG@EXAMPLE.COM' })).id, byEmail.id, 'case does not matter')
  t.not(byEmail.id, byPhone.id)
  t.equal((await customers()).length, 2)

  const byExternalId = await customerOf({ externalId: 'crm-7' })
  t.equal((await customerOf({ externalId: ' crm-7 ' })).id, byExternalId.id)
  t.equal((await customers()).length, 3)
})

t.test('a known customer gains the identities it lacked', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const first = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+8613900139000' } }))).json()
  t.equal(first.customer.email, null)
  t.equal(first.customer.name, null)

  const back = await call('POST', '/v1/complaints', agent,
    aComplaint({ customer: { name: 'Chen Jing', phone: '+86 139 0013 9000', email: 'Chen.Jing@Example.com' } }))
  t.equal(back.statusCode, 201)
  t.equal(back.json().customer.id, first.customer.id, 'the same customer')
  t.equal(back.json().customer.email, 'chen.jing@example.com', 'gained the email')
  t.equal(back.json().customer.name, 'Chen Jing', 'gained the name')
  const row = await db.selectFrom('customers').selectAll().where('id', '=', first.customer.id).executeTakeFirstOrThrow()
  t.equal(row.email, 'chen.jing@example.com')
  t.equal(row.phone, '+8613900139000')

  // Now known by the email alone, the customer is found again.
  const byEmail = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { email: 'CHEN.JING@example.com' } }))).json()
  t.equal(byEmail.customer.id, first.customer.id)
  // An existing name is not overwritten by a later spelling.
  const renamed = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { name: 'J. Chen', phone: '+8613900139000' } }))).json()
  t.equal(renamed.customer.name, 'Chen Jing')

  // An email that belongs to someone else is not moved over.
  const other = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { email: 'shared@example.com' } }))).json()
  const mixed = await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+8613900139000', email: 'shared@example.com' } }))
  t.equal(mixed.statusCode, 201, mixed.body)
  t.equal(mixed.json().customer.id, first.customer.id, 'the phone wins')
  t.equal(mixed.json().customer.email, 'chen.jing@example.com')
  const shared = await db.selectFrom('customers').select('id').where('email', '=', 'shared@example.com').executeTakeFirstOrThrow()
  t.equal(shared.id, other.customer.id)
  t.equal((await db.selectFrom('customers').select('id').execute()).length, 2)
})

t.test('concurrent intake sharing identities: no failure, no identity lost or moved', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const known = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+8613900139000' } }))).json()
  // Half create a customer by email; the other half bring that email along with the known phone.
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => {
    const email = `e${i >> 1}@example.com`
    return call('POST', '/v1/complaints', agent, aComplaint({ customer: i % 2 ? { email } : { phone: '+8613900139000', email } }))
  }))
  t.same(responses.filter((r) => r.statusCode !== 201).map((r) => r.body), [], 'every intake succeeded')
  const rows = await db.selectFrom('customers').selectAll().execute()
  const emails = rows.map((r) => r.email).filter((e) => e !== null)
  t.equal(new Set(emails).size, emails.length, 'an email belongs to one customer')
  t.equal(emails.length, 10, 'every email is kept')
  const a = rows.find((r) => r.id === known.customer.id)
  t.equal(a?.phone, '+8613900139000')
  t.ok(a?.email, 'the known customer gained one email')
  for (const [i, response] of responses.entries()) {
    const { customer } = response.json()
    if (i % 2 === 0) t.equal(customer.id, known.customer.id, 'the phone finds the known customer')
    else t.equal(customer.email, `e${i >> 1}@example.com`, 'the email finds its customer')
  }
  const stored = await db.selectFrom('customers').select(['id', 'email']).where('id', '=', known.customer.id).executeTakeFirstOrThrow()
  const gained = responses.filter((_, i) => i % 2 === 0).map((r) => r.json().customer.email)
  t.ok(gained.every((e) => e === null || e === stored.email), 'no request saw another email on the known customer')
})

t.test('a repeat complaint of the same customer and category points at the open one', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const post = async (overrides: Record<string, unknown>) => (await call('POST', '/v1/complaints', agent, aComplaint(overrides))).json()
  const first = await post({ customer: { phone: '+8613800138000' } })
  t.equal(first.possibleDuplicateOf, null)
  const again = await post({ customer: { phone: '+86 138-0013-8000' } })
  t.equal(again.possibleDuplicateOf, first.id, 'the same customer, typed differently')
  t.equal((await post({ customer: { phone: '+8613800138000' }, category: 'billing' })).possibleDuplicateOf, null, 'another category')
  t.equal((await post({ customer: { phone: '+8613900139000' } })).possibleDuplicateOf, null, 'another customer')
  await call('POST', `/v1/complaints/${again.id}/withdraw`, agent, { reason: 'duplicate' })
  const third = await post({ customer: { phone: '+8613800138000' } })
  t.equal(third.possibleDuplicateOf, first.id, 'closed ones are skipped')
  await call('POST', `/v1/complaints/${first.id}/withdraw`, agent, { reason: 'done' })
  t.equal((await post({ customer: { phone: '+8613800138000' } })).possibleDuplicateOf, third.id, 'the open one left')
})

import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { jsonb } from '../../src/db/jsonb.js'
import { anIntegration, setupWebhookApp, signed } from '../webhooks/fixtures/webhooks.js'

t.test('a repeat complaint is flagged and merged into the open one; the history records the merge, copies nothing', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const first = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const second = (await call('POST', '/v1/complaints', agent, aComplaint({
    summary: 'Still no answer about the kettle', customer: { name: 'Li Wei', phone: '+86 138 0013 8000', email: 'LI.WEI@example.com' },
  }))).json()
  t.equal(second.possibleDuplicateOf, first.id, 'same customer, same category, still open')
  t.ok(second.actions.includes('merge'))
  await call('POST', `/v1/complaints/${second.id}/notes`, agent, { text: 'customer called again' })

  const stale = await call('POST', `/v1/complaints/${second.id}/merge`, agent, { into: first.id }, { 'if-match': '"2"' })
  t.equal(stale.statusCode, 412, 'If-Match holds for merges too')
  const merged = await call('POST', `/v1/complaints/${second.id}/merge`, agent, { into: first.id, note: 'same parcel' })
  t.equal(merged.statusCode, 200, merged.body)
  t.equal(merged.json().state, 'closed')
  t.equal(merged.json().closeReason, 'duplicate')
  t.same(merged.json().deadlines, [])

  const survivor = (await call('GET', `/v1/complaints/${first.id}`, agent)).json()
  t.equal(survivor.state, 'logged', 'the other complaint carries on')
  const absorbed = (await call('GET', `/v1/complaints/${first.id}/events`, agent)).json().items.at(-1)
  t.equal(absorbed.type, 'complaint.duplicate_absorbed')
  t.same(absorbed.data, { from: second.id, fromReference: second.reference }, 'the duplicate is named, not copied')
  const kept = (await call('GET', `/v1/complaints/${second.id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
  t.same(kept, ['complaint.received', 'complaint.logged', 'complaint.note_added', 'complaint.merged'],
    "the duplicate keeps its own history: nothing is lost")
  const mergedEvent = (await call('GET', `/v1/complaints/${second.id}/events`, agent)).json().items.at(-1)
  t.match(mergedEvent, { type: 'complaint.merged', data: { into: first.id, note: 'same parcel' } })
})

t.test('merges that make no sense are refused and change nothing', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const a = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const b = (await call('POST', '/v1/complaints', agent, aComplaint({ category: 'billing' }))).json()
  t.equal((await call('POST', `/v1/complaints/${a.id}/merge`, agent, { into: a.id })).json().code, 'validation_failed', 'not into itself')
  const missing = await call('POST', `/v1/complaints/${a.id}/merge`, agent, { into: '00000000-0000-4000-8000-000000000000' })
  t.equal(missing.statusCode, 400)
  t.equal(missing.json().errors[0].field, 'body.into')
  await call('POST', `/v1/complaints/${b.id}/withdraw`, agent, { reason: 'sorted' })
  t.equal((await call('POST', `/v1/complaints/${a.id}/merge`, agent, { into: b.id })).statusCode, 400, 'not into a closed complaint')
  await call('POST', `/v1/complaints/${a.id}/resolve`, agent, { summary: 'done' })
  const c = (await call('POST', '/v1/complaints', agent, aComplaint({ category: 'billing' }))).json()
  const resolved = await call('POST', `/v1/complaints/${a.id}/merge`, agent, { into: c.id })
  t.equal(resolved.statusCode, 409, 'a resolved complaint is not merged away')
  t.equal(resolved.json().code, 'invalid_transition')
  t.equal((await call('GET', `/v1/complaints/${c.id}`, agent)).json().version, 2, 'the other complaint is untouched')
})

t.test("complaints of different customers do not merge; an integration's history shows no other customer and no staff authority", async (t) => {
  const testApp = await setupWebhookApp(t)
  const { app, call, user, db } = testApp
  const agent = await user('agent', { compensationLimit: 500 })
  const supervisor = await user('supervisor', { level: 2, compensationLimit: 5_000 })
  const shop = await anIntegration(testApp)
  const body = JSON.stringify({ ...aComplaint({ customer: { name: 'Shop Customer', email: 'buyer@example.com' } }), externalRef: 'order-9' })
  const intake = await app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, body), payload: body })
  t.equal(intake.statusCode, 202, intake.body)
  const shops = intake.json()
  const stranger = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { name: 'Zhang San', phone: '+86 139 0000 1111' } }))).json()
  await call('POST', `/v1/complaints/${stranger.id}/notes`, agent, { text: 'Zhang San lives at 1 Secret Road' })

  const mismatch = await call('POST', `/v1/complaints/${stranger.id}/merge`, agent, { into: shops.id })
  t.equal(mismatch.statusCode, 409, mismatch.body)
  t.match(mismatch.headers['content-type'], /^application\/problem\+json/)
  t.equal(mismatch.json().code, 'merge_customer_mismatch')
  t.equal((await call('GET', `/v1/complaints/${stranger.id}`, agent)).json().state, 'logged', 'the duplicate is untouched')
  t.equal((await call('GET', `/v1/complaints/${shops.id}`, agent)).json().version, shops.version, 'and so is the other')

  // The same customer calls in: staff act on the integration's complaint, then merge the call into it.
  await call('POST', `/v1/complaints/${shops.id}/log`, agent, {})
  await call('POST', `/v1/complaints/${shops.id}/escalate`, agent, { reason: 'refund over the limit' })
  await call('POST', `/v1/complaints/${shops.id}/notes`, supervisor, { text: 'looking into it' })
  const call2 = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { email: 'buyer@example.com' } }))).json()
  const merged = await call('POST', `/v1/complaints/${call2.id}/merge`, agent, { into: shops.id })
  t.equal(merged.statusCode, 200, merged.body)

  const events = await call('GET', `/v1/complaints/${shops.id}/events`, shop)
  t.equal(events.statusCode, 200)
  const text = events.body
  t.notMatch(text, /authority|compensationLimit/, 'no staff authority in any event the integration reads')
  t.notMatch(text, /Zhang|Secret Road|13900001111/, 'nothing of another customer')
  const absorbed = events.json().items.find((e: { type: string }) => e.type === 'complaint.duplicate_absorbed')
  t.same(absorbed.data, { from: call2.id, fromReference: call2.reference })

  // An absorbed event written before this rule (contacts and a copied history) is shown without them.
  await db.insertInto('complaintEvents').values({
    complaintId: shops.id, seq: 99, type: 'complaint.duplicate_absorbed', actorId: agent.id, actorRole: 'agent', at: new Date(),
    data: jsonb({
      from: stranger.id, fromReference: stranger.reference, summary: 'old', description: 'Zhang San, 1 Secret Road',
      contacts: { name: 'Zhang San', phone: '+8613900001111' },
      events: [{ seq: 1, type: 'complaint.received', data: { authority: { level: null, compensationLimit: 500 } } }],
      authority: { level: null, compensationLimit: 500 },
    }),
  }).execute()
  const legacy = await call('GET', `/v1/complaints/${shops.id}/events`, shop)
  t.notMatch(legacy.body, /authority|compensationLimit|Zhang|Secret Road|13900001111/, 'old rows are read without what they should not have held')
  t.same(legacy.json().items.at(-1).data, { from: stranger.id, fromReference: stranger.reference })
})

import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'

t.test('a repeat complaint is flagged and merged into the open one, carrying its history and contacts', async (t) => {
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
  t.equal(absorbed.data.fromReference, second.reference)
  t.equal(absorbed.data.contacts.email, 'li.wei@example.com', "the duplicate's contacts are kept")
  t.same(absorbed.data.events.map((e: { type: string }) => e.type), ['complaint.received', 'complaint.logged', 'complaint.note_added'],
    "the duplicate's whole history is carried across")
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

// Incidents (CONTRACT.md, "Additions: incidents and search"): create, list, show, link and unlink, with every refusal.
import t from 'tap'
import { aComplaint, setupApp, type TestApp, type TestUser } from '../helpers/app.js'

async function complaint(testApp: TestApp, as: TestUser, phone: string, overrides: Record<string, unknown> = {}) {
  const created = await testApp.call('POST', '/v1/complaints', as, aComplaint({ customer: { name: `Caller ${phone}`, phone }, ...overrides }))
  if (created.statusCode !== 201) throw new Error(created.body)
  return created.json() as { id: string; reference: string; version: number }
}

async function incident(testApp: TestApp, as: TestUser, body: Record<string, unknown> = { title: 'Router batch R7 reboots' }) {
  const created = await testApp.call('POST', '/v1/incidents', as, body)
  if (created.statusCode !== 201) throw new Error(created.body)
  return created.json() as { id: string; reference: string; version: number }
}

const historyTypes = async (testApp: TestApp, as: TestUser, id: string) =>
  ((await testApp.call('GET', `/v1/complaints/${id}/events`, as)).json().items as { type: string }[]).map((e) => e.type)

t.test('a supervisor opens an incident; agents, supervisors and admins read it; integrations do not', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  const lead = await user('supervisor')
  const agent = await user('agent')
  const shop = await user('integration')

  const created = await call('POST', '/v1/incidents', lead, { title: '快递站被淹 depot flooded', category: 'delivery', region: 'east', description: 'Depot 12' })
  t.equal(created.statusCode, 201, created.body)
  const body = created.json()
  t.match(body, {
    reference: /^I-\d{8}-\d{4}$/, title: '快递站被淹 depot flooded', state: 'open', complaintCount: 0, openCount: 0, version: 1,
    category: 'delivery', product: null, region: 'east', description: 'Depot 12', resolvedAt: null, resolution: null, createdBy: lead.id,
  })
  t.equal(body.reference.slice(2, 10), body.createdAt.slice(0, 10).replaceAll('-', ''), 'the reference carries the day')
  t.notOk('complaints' in body, 'the 201 is the incident alone')
  t.equal(created.headers.location, `/v1/incidents/${body.id}`)
  t.equal(created.headers.etag, '"1"')

  for (const [who, as] of [['agent', agent], ['admin', admin], ['integration', shop]] as const) {
    const refused = await call('POST', '/v1/incidents', as, { title: 'x' })
    t.same([refused.statusCode, refused.json().code], [403, 'forbidden'], `${who} may not open one`)
  }
  const invalid = await call('POST', '/v1/incidents', lead, { category: 'delivery' })
  t.same([invalid.statusCode, invalid.json().code], [400, 'validation_failed'], 'a title is required')
  const extra = await call('POST', '/v1/incidents', lead, { title: 'x', state: 'resolved' })
  t.equal(extra.statusCode, 400, 'no field the contract does not name')

  for (const as of [agent, lead, admin]) {
    const got = await call('GET', `/v1/incidents/${body.id}`, as)
    t.equal(got.statusCode, 200)
    t.same(got.json(), { ...body, complaints: [] }, `${as.role} reads it, with its (no) complaints`)
    t.equal(got.headers.etag, '"1"')
  }
  for (const url of ['/v1/incidents', `/v1/incidents/${body.id}`]) {
    const refused = await call('GET', url, shop)
    t.same([refused.statusCode, refused.json().code], [403, 'forbidden'], `an integration may not read ${url}`)
  }
  const missing = await call('GET', '/v1/incidents/6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a', agent)
  t.same([missing.statusCode, missing.json().code], [404, 'not_found'])
  t.equal((await call('GET', '/v1/incidents/not-a-uuid', agent)).statusCode, 400)
})

t.test('the list: newest first, by state, paged by cursor', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const lead = await user('supervisor')
  const agent = await user('agent')
  const made: { id: string }[] = []
  for (let i = 0; i < 5; i++) made.push(await incident(testApp, lead, { title: `incident ${i}` }))
  await db.updateTable('incidents').set({ state: 'resolved' }).where('id', '=', made[1]!.id).execute()
  const newestFirst = made.map((i) => i.id).reverse()

  const all = (await call('GET', '/v1/incidents', agent)).json()
  t.same(all.items.map((i: { id: string }) => i.id), newestFirst)
  t.equal(all.nextCursor, null)
  t.notOk('complaints' in all.items[0], 'items are incidents without their complaints')
  const open = (await call('GET', '/v1/incidents?state=open', agent)).json()
  t.same(open.items.map((i: { id: string }) => i.id), newestFirst.filter((id) => id !== made[1]!.id))
  const resolved = (await call('GET', '/v1/incidents?state=resolved', agent)).json()
  t.same(resolved.items.map((i: { id: string }) => i.id), [made[1]!.id])

  const seen: string[] = []
  let cursor: string | null = null
  do {
    const page = (await call('GET', `/v1/incidents?limit=2${cursor ? `&cursor=${cursor}` : ''}`, agent)).json() as { items: { id: string }[]; nextCursor: string | null }
    t.ok(page.items.length <= 2)
    seen.push(...page.items.map((i) => i.id))
    cursor = page.nextCursor
  } while (cursor)
  t.same(seen, newestFirst, 'pages walk the whole list once')

  for (const query of ['limit=0', 'limit=201', 'state=closed', 'cursor=garbage']) {
    const refused = await call('GET', `/v1/incidents?${query}`, agent)
    t.same([refused.statusCode, refused.json().code], [400, 'validation_failed'], query)
  }
  t.equal((await call('GET', '/v1/incidents?limit=200', agent)).statusCode, 200)
})

t.test('linking open complaints of different customers, all or none', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const lead = await user('supervisor')
  const agent = await user('agent')
  const a = await complaint(testApp, agent, '+86 138 0013 0001')
  const b = await complaint(testApp, agent, '+86 138 0013 0002')
  const escalated = await complaint(testApp, agent, '+86 138 0013 0003')
  await call('POST', `/v1/complaints/${escalated.id}/escalate`, agent, { reason: 'angry' })
  const withdrawn = await complaint(testApp, agent, '+86 138 0013 0004')
  await call('POST', `/v1/complaints/${withdrawn.id}/withdraw`, agent, { reason: 'changed their mind' })
  const resolved = await complaint(testApp, agent, '+86 138 0013 0005')
  await call('POST', `/v1/complaints/${resolved.id}/resolve`, agent, { summary: 'done' })
  const outage = await incident(testApp, lead)
  const other = await incident(testApp, lead, { title: 'Another cause' })

  const linked = await call('POST', `/v1/incidents/${outage.id}/complaints`, agent, { complaintIds: [a.id, b.id, escalated.id, a.id] })
  t.equal(linked.statusCode, 200, linked.body)
  t.match(linked.json(), { id: outage.id, complaintCount: 3, openCount: 3, version: 2, state: 'open' })
  t.same(linked.json().complaints.map((c: { id: string }) => c.id), [a.id, b.id, escalated.id], 'oldest first, each once')
  t.same(linked.json().complaints.map((c: { state: string }) => c.state), ['logged', 'logged', 'escalated'])
  t.same(Object.keys(linked.json().complaints[0]).sort(), ['id', 'reference', 'state'], 'ids, references and states only')
  t.equal(linked.headers.etag, '"2"')
  for (const c of [a, b, escalated]) {
    const shown = (await call('GET', `/v1/complaints/${c.id}`, agent)).json()
    t.equal(shown.incidentId, outage.id, 'the complaint shows its incident')
    const events = (await call('GET', `/v1/complaints/${c.id}/events`, agent)).json().items
    t.match(events.at(-1), { type: 'complaint.linked_to_incident', actor: { id: agent.id, role: 'agent' }, data: { incidentId: outage.id, incidentReference: outage.reference } })
  }
  t.equal((await call('GET', `/v1/complaints/${withdrawn.id}`, agent)).json().incidentId, null, 'an unlinked complaint shows null')

  const again = await call('POST', `/v1/incidents/${outage.id}/complaints`, lead, { complaintIds: [a.id] })
  t.equal(again.statusCode, 200, 'linking one already in it changes nothing')
  t.equal(again.json().version, 2)
  t.equal((await historyTypes(testApp, agent, a.id)).filter((type) => type === 'complaint.linked_to_incident').length, 1)

  const fresh = await complaint(testApp, agent, '+86 138 0013 0006')
  const versionOf = async (id: string) => (await call('GET', `/v1/complaints/${id}`, agent)).json().version as number
  const freshVersion = await versionOf(fresh.id)
  const cases: [string, unknown, number, string][] = [
    ['a withdrawn complaint', [fresh.id, withdrawn.id], 409, 'complaint_closed'],
    ['a resolved complaint (follow_up)', [fresh.id, resolved.id], 409, 'complaint_closed'],
    ['one in another incident', [fresh.id, a.id], 409, 'already_linked'],
    ['an unknown complaint', [fresh.id, '6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a'], 404, 'not_found'],
  ]
  for (const [label, complaintIds, status, code] of cases) {
    const refused = await call('POST', `/v1/incidents/${other.id}/complaints`, agent, { complaintIds })
    t.same([refused.statusCode, refused.json().code], [status, code], label)
    t.equal(await versionOf(fresh.id), freshVersion, `${label}: the other complaint of the request was not linked either`)
  }
  const unknown = await call('POST', `/v1/incidents/${other.id}/complaints`, agent, { complaintIds: ['6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a'] })
  t.same(unknown.json().missing, ['6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a'], 'the unknown ids are named')
  const closed = await call('POST', `/v1/incidents/${other.id}/complaints`, agent, { complaintIds: [withdrawn.id] })
  t.match(closed.json().detail, new RegExp(`${withdrawn.reference} is closed`))
  t.match((await call('GET', `/v1/incidents/${other.id}`, agent)).json(), { complaintCount: 0, version: 1 }, 'the other incident is untouched')

  const noIncident = await call('POST', '/v1/incidents/6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a/complaints', agent, { complaintIds: [fresh.id] })
  t.same([noIncident.statusCode, noIncident.json().code], [404, 'not_found'], 'an unknown incident')
  for (const body of [{}, { complaintIds: [] }, { complaintIds: ['nope'] }]) {
    t.equal((await call('POST', `/v1/incidents/${other.id}/complaints`, agent, body)).statusCode, 400, `refused body ${JSON.stringify(body)}`)
  }
  for (const as of [testApp.admin, await user('integration')]) {
    const refused = await call('POST', `/v1/incidents/${other.id}/complaints`, as, { complaintIds: [fresh.id] })
    t.same([refused.statusCode, refused.json().code], [403, 'forbidden'], `${as.role} may not link`)
  }

  await db.updateTable('incidents').set({ state: 'resolved' }).where('id', '=', other.id).execute()
  const toResolved = await call('POST', `/v1/incidents/${other.id}/complaints`, agent, { complaintIds: [fresh.id] })
  t.same([toResolved.statusCode, toResolved.json().code], [409, 'incident_resolved'], 'a resolved incident takes no complaint')
})

t.test('unlinking: history, counts, and refusals', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const lead = await user('supervisor')
  const agent = await user('agent')
  const a = await complaint(testApp, agent, '+86 138 0013 0011')
  const b = await complaint(testApp, agent, '+86 138 0013 0012')
  const outside = await complaint(testApp, agent, '+86 138 0013 0013')
  const outage = await incident(testApp, lead)
  await call('POST', `/v1/incidents/${outage.id}/complaints`, agent, { complaintIds: [a.id, b.id] })
  await call('POST', `/v1/complaints/${b.id}/withdraw`, agent, { reason: 'solved itself' })
  t.match((await call('GET', `/v1/incidents/${outage.id}`, agent)).json(), { complaintCount: 2, openCount: 1, version: 2 },
    'a complaint closed its own way leaves the open count, not the incident')

  const unlinked = await call('DELETE', `/v1/incidents/${outage.id}/complaints/${a.id}`, lead)
  t.equal(unlinked.statusCode, 200, unlinked.body)
  t.match(unlinked.json(), { complaintCount: 1, openCount: 0, version: 3, state: 'open' }, 'never resolved without a resolve asked for')
  t.same(unlinked.json().complaints.map((c: { id: string }) => c.id), [b.id])
  t.equal((await call('GET', `/v1/complaints/${a.id}`, agent)).json().incidentId, null)
  const events = (await call('GET', `/v1/complaints/${a.id}/events`, agent)).json().items
  t.match(events.at(-1), { type: 'complaint.unlinked_from_incident', actor: { id: lead.id }, data: { incidentId: outage.id, incidentReference: outage.reference } })
  const closedOut = await call('DELETE', `/v1/incidents/${outage.id}/complaints/${b.id}`, agent)
  t.equal(closedOut.statusCode, 200, 'a closed complaint may leave too')
  t.equal(closedOut.json().complaintCount, 0)

  for (const [label, url] of [
    ['a complaint not in it', `/v1/incidents/${outage.id}/complaints/${outside.id}`],
    ['one already unlinked', `/v1/incidents/${outage.id}/complaints/${a.id}`],
    ['an unknown complaint', `/v1/incidents/${outage.id}/complaints/6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a`],
    ['an unknown incident', `/v1/incidents/6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a/complaints/${a.id}`],
  ] as const) {
    const refused = await call('DELETE', url, agent)
    t.same([refused.statusCode, refused.json().code], [404, 'not_found'], label)
  }
  for (const as of [testApp.admin, await user('integration')]) {
    const refused = await call('DELETE', `/v1/incidents/${outage.id}/complaints/${a.id}`, as)
    t.same([refused.statusCode, refused.json().code], [403, 'forbidden'], `${as.role} may not unlink`)
  }
  await call('POST', `/v1/incidents/${outage.id}/complaints`, agent, { complaintIds: [a.id] })
  await db.updateTable('incidents').set({ state: 'resolved' }).where('id', '=', outage.id).execute()
  const refused = await call('DELETE', `/v1/incidents/${outage.id}/complaints/${a.id}`, agent)
  t.same([refused.statusCode, refused.json().code], [409, 'incident_resolved'], 'a resolved incident keeps its complaints')
  t.equal((await call('GET', `/v1/complaints/${a.id}`, agent)).json().incidentId, outage.id)
})

t.test('an integration sees the incident id of its own complaint, and nothing of the incident', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const lead = await user('supervisor')
  const agent = await user('agent')
  const shop = await user('integration')
  const mine = await complaint(testApp, agent, '+86 138 0013 0021')
  await db.updateTable('complaints').set({ integrationId: shop.id }).where('id', '=', mine.id).execute()
  const outage = await incident(testApp, lead)
  await call('POST', `/v1/incidents/${outage.id}/complaints`, agent, { complaintIds: [mine.id] })
  t.equal((await call('GET', `/v1/complaints/${mine.id}`, shop)).json().incidentId, outage.id)
  t.equal((await call('GET', `/v1/incidents/${outage.id}`, shop)).statusCode, 403)
})

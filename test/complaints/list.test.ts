import { sql } from 'kysely'
import t from 'tap'
import { aComplaint, setupApp, type TestApp, type TestUser } from '../helpers/app.js'

interface Page { items: { id: string; createdAt: string }[]; nextCursor: string | null }

const ids = async (call: TestApp['call'], as: TestUser, query: string) => {
  const response = await call('GET', `/v1/complaints?${query}`, as)
  if (response.statusCode !== 200) throw new Error(`${query}: ${response.statusCode} ${response.body}`)
  return (response.json() as Page).items.map((c) => c.id)
}

t.test('filters: state, category, severity, assignee, phone, overdue and q', async (t) => {
  const { call, user, db } = await setupApp(t)
  const alice = await user('agent')
  const bob = await user('agent')
  const create = async (as: TestUser, overrides: Record<string, unknown>) => {
    const response = await call('POST', '/v1/complaints', as, aComplaint(overrides))
    t.equal(response.statusCode, 201, response.body)
    return response.json() as { id: string; reference: string }
  }
  const c1 = await create(alice, { severity: 'high', summary: 'Parcel 100% crushed', customer: { phone: '+8613800138000' } })
  const c2 = await create(alice, {
    category: 'billing', severity: 'low', summary: 'Charged twice', description: 'the card_number was shown',
    customer: { phone: '+8613900139000' },
  })
  // Overdue: its promise an hour ago (the API refuses to make a promise in the past).
  await db.updateTable('complaints').set({ promisedBy: new Date(Date.now() - 3_600_000) }).where('id', '=', c2.id).execute()
  const c3 = await create(bob, { summary: 'Late courier', customer: { email: 'late@example.com' } })
  t.equal((await call('POST', `/v1/complaints/${c3.id}/resolve`, bob, { summary: 'apologised' })).statusCode, 200)
  // A webhook intake not logged yet: no promise, no overdue timer.
  const c4 = await create(bob, { summary: 'Webhook intake', customer: { email: 'hook@example.com' } })
  await db.updateTable('complaints').set({ state: 'received', promisedBy: null }).where('id', '=', c4.id).execute()

  t.same(await ids(call, alice, ''), [c4.id, c3.id, c2.id, c1.id], 'newest first')
  const page = (await call('GET', '/v1/complaints', alice)).json() as Page
  t.same(Object.keys(page).sort(), ['items', 'nextCursor'])
  t.equal(page.nextCursor, null)

  t.same(await ids(call, alice, 'state=follow_up'), [c3.id])
  t.same(await ids(call, alice, 'state=logged'), [c2.id, c1.id])
  t.same(await ids(call, alice, 'category=billing'), [c2.id])
  t.same(await ids(call, alice, 'category=delivery'), [c4.id, c3.id, c1.id])
  t.same(await ids(call, alice, 'severity=low'), [c2.id])
  t.same(await ids(call, alice, 'severity=high'), [c1.id])
  t.same(await ids(call, alice, 'assigneeId=me'), [c2.id, c1.id], 'me is the caller')
  t.same(await ids(call, bob, 'assigneeId=me'), [c4.id, c3.id])
  t.same(await ids(call, alice, `assigneeId=${bob.id}`), [c4.id, c3.id])

  t.same(await ids(call, alice, `customerPhone=${encodeURIComponent('+86 138-0013-8000')}`), [c1.id], 'phone in another format')
  t.same(await ids(call, alice, `customerPhone=${encodeURIComponent('+86 (139) 0013 9000')}`), [c2.id])
  t.same(await ids(call, alice, `customerPhone=${encodeURIComponent('+86 137 0000 0000')}`), [], 'unknown phone')
  const badPhone = await call('GET', '/v1/complaints?customerPhone=12345', alice)
  t.equal(badPhone.statusCode, 400)
  t.equal(badPhone.json().code, 'validation_failed')

  t.same(await ids(call, alice, 'overdue=true'), [c2.id], 'a promise in the past is overdue')
  t.same(await ids(call, alice, 'overdue=false'), [c4.id, c3.id, c1.id], 'not overdue, including a complaint without a promise')
  // Closing the overdue complaint takes it off the overdue list.
  await call('POST', `/v1/complaints/${c2.id}/withdraw`, alice, { reason: 'paid back by the bank' })
  t.same(await ids(call, alice, 'overdue=true'), [])

  t.same(await ids(call, alice, 'q=parcel'), [c1.id], 'summary, case-insensitive')
  t.same(await ids(call, alice, 'q=card_number'), [c2.id], 'description')
  t.same(await ids(call, alice, `q=${c3.reference}`), [c3.id], 'reference')
  // The index holds words and characters (docs/search.md): punctuation alone finds nothing, and a LIKE wildcard
  // typed by the caller is punctuation, not a wildcard.
  t.same(await ids(call, alice, `q=${encodeURIComponent('%')}`), [], '% alone finds nothing')
  t.same(await ids(call, alice, 'q=_'), [], '_ alone finds nothing')
  t.same(await ids(call, alice, `q=${encodeURIComponent('100%')}`), [c1.id], 'the word beside the punctuation')
  t.same(await ids(call, alice, `q=${encodeURIComponent('\\')}`), [], 'a backslash finds nothing either')
  t.same(await ids(call, alice, 'q=parcel&severity=low'), [], 'filters combine')
})

t.test('team filter: exact match, combined with the others, paginated', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent', { teams: ['south'] })
  const create = async (overrides: Record<string, unknown>) => {
    const response = await call('POST', '/v1/complaints', agent, aComplaint(overrides))
    t.equal(response.statusCode, 201, response.body)
    return (response.json() as { id: string }).id
  }
  const n1 = await create({ team: 'north' })
  const s1 = await create({})
  const n2 = await create({ team: 'north', severity: 'high' })
  const upper = await create({ team: 'North' })
  const n3 = await create({ team: 'north' })
  const n4 = await create({ team: 'north-east' })
  t.equal((await call('POST', `/v1/complaints/${n2}/resolve`, agent, { summary: 'sorted' })).statusCode, 200)

  t.same(await ids(call, agent, 'team=north'), [n3, n2, n1], 'exact: not North, not north-east')
  t.same(await ids(call, agent, 'team=North'), [upper], 'case-sensitive')
  t.same(await ids(call, agent, 'team=south'), [s1], "the agent's first team when the body names none")
  t.same(await ids(call, agent, 'team=nor'), [], 'no prefix match')
  t.same(await ids(call, agent, 'team=north&state=logged'), [n3, n1], 'AND with state')
  t.same(await ids(call, agent, 'team=north&state=follow_up'), [n2])
  t.same(await ids(call, agent, 'team=north&severity=high'), [n2], 'AND with severity')
  t.same(await ids(call, agent, 'team=north-east&assigneeId=me'), [n4], 'AND with assignee')
  t.same(await ids(call, agent, 'team=south&state=follow_up'), [])

  for (const [query, expected] of [['team=north', [n3, n2, n1]], ['team=north&state=logged', [n3, n1]]] as const) {
    const seen: string[] = []
    let cursor: string | null = null
    for (let pages = 0; pages < 5; pages++) {
      const response = await call('GET', `/v1/complaints?${query}&limit=1${cursor ? `&cursor=${cursor}` : ''}`, agent)
      t.equal(response.statusCode, 200, response.body)
      const page = response.json() as Page
      seen.push(...page.items.map((c) => c.id))
      cursor = page.nextCursor
      if (!cursor) break
    }
    t.same(seen, expected, `${query}: one page at a time, each once, newest first`)
    t.equal(cursor, null, `${query}: the last page has no next cursor`)
  }

  for (const bad of ['team=', `team=${'x'.repeat(101)}`]) {
    const response = await call('GET', `/v1/complaints?${bad}`, agent)
    t.equal(response.statusCode, 400, bad.slice(0, 20))
    t.equal(response.json().code, 'validation_failed')
  }
})

t.test('cursor pagination visits every complaint once, stable while complaints arrive', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const created = await Promise.all(Array.from({ length: 25 }, (_, i) =>
    call('POST', '/v1/complaints', agent, aComplaint({ summary: `complaint ${i}` }))))
  t.ok(created.every((r) => r.statusCode === 201))
  const expected = await db.selectFrom('complaints').select('id').orderBy('createdAt', 'desc').orderBy('id', 'desc').execute()

  const seen: string[] = []
  const sizes: number[] = []
  let cursor: string | null = null
  do {
    const url: string = `/v1/complaints?limit=10${cursor ? `&cursor=${cursor}` : ''}`
    const page = (await call('GET', url, agent)).json() as Page
    seen.push(...page.items.map((c) => c.id))
    sizes.push(page.items.length)
    cursor = page.nextCursor
    if (sizes.length === 1) {
      // New complaints arrive between pages: they sort before the cursor and never shift later pages.
      for (let i = 0; i < 3; i++) await call('POST', '/v1/complaints', agent, aComplaint({ summary: `late ${i}` }))
    }
  } while (cursor && sizes.length < 10)
  t.same(sizes, [10, 10, 5])
  t.equal(cursor, null, 'the last page has no next cursor')
  t.equal(new Set(seen).size, 25, 'no complaint twice')
  t.same(seen, expected.map((r) => r.id), 'newest first, in the order of (createdAt, id)')
  t.equal((await call('GET', '/v1/complaints?limit=100', agent)).json().items.length, 28)
})

t.test('the cursor keeps microseconds: rows stamped by the database clock are not skipped', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const made: string[] = []
  for (const micros of ['300', '200', '100']) {
    const { id } = (await call('POST', '/v1/complaints', agent, aComplaint({ category: 'micro' }))).json()
    await sql`update complaints set created_at = ${`2026-01-01T00:00:00.123${micros}Z`}::timestamptz where id = ${id}`.execute(db)
    made.push(id)
  }
  const seen: string[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < 5; pages++) {
    const page = (await call('GET', `/v1/complaints?category=micro&limit=1${cursor ? `&cursor=${cursor}` : ''}`, agent)).json() as Page
    seen.push(...page.items.map((c) => c.id))
    cursor = page.nextCursor
    if (!cursor) break
  }
  t.same(seen, made, 'all three rows within one millisecond, in order')
})

t.test('a forged cursor answers 400 validation_failed', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  await call('POST', '/v1/complaints', agent, aComplaint())
  const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const cursors = [
    'not-a-cursor!',
    forged({ t: 'yesterday', id: '00000000-0000-4000-8000-000000000000' }),
    forged({ t: '2026-01-01T00:00:00.000000Z', id: '-'.repeat(36) }),
    forged({ t: '2026-02-31T00:00:00.000000Z', id: '00000000-0000-4000-8000-000000000000' }),
    forged({ t: '-271821-04-20T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' }),
    forged(null),
    forged([1, 2]),
  ]
  for (const cursor of cursors) {
    const response = await call('GET', `/v1/complaints?cursor=${encodeURIComponent(cursor)}`, agent)
    t.equal(response.statusCode, 400, `${cursor}: ${response.body}`)
    t.equal(response.json().code, 'validation_failed')
    t.equal(response.json().errors?.[0]?.field, 'querystring.cursor')
  }
})

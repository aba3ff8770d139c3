import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { aComplaint, type TestApp, type TestUser } from '../helpers/app.js'
import { insertComplaint, insertCustomer } from '../reports/fixtures/support.js'
import { setupWebhookApp } from '../webhooks/fixtures/webhooks.js'

interface Page { items: Record<string, unknown>[]; nextCursor: string | null }

const withQuery = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`

/** Follows nextCursor from the first page to the last; every page but the last is full. */
async function pageThrough(t: Test, call: TestApp['call'], as: TestUser, url: string, limit: number) {
  const items: Record<string, unknown>[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const response = await call('GET', withQuery(url, `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`), as)
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`)
    const page = response.json() as Page
    pages++
    if (page.nextCursor) t.equal(page.items.length, limit, `${url}: page ${pages} is full`)
    items.push(...page.items)
    cursor = page.nextCursor
    if (pages > 1_000) throw new Error('no end')
  } while (cursor)
  return { items, pages }
}

/** Pages of `limit` give the same items in the same order as one page holding them all, over more than one page. */
async function checkPaging(t: Test, call: TestApp['call'], as: TestUser, url: string, key: string, options: { limit?: number; all: number }) {
  const whole = (await call('GET', withQuery(url, `limit=${options.all}`), as)).json() as Page
  t.equal(whole.nextCursor, null, `${url}: one page holds them all`)
  const paged = await pageThrough(t, call, as, url, options.limit ?? 2)
  t.ok(paged.pages > 2, `${url}: more than two pages (${paged.pages})`)
  t.same(paged.items.map((i) => i[key]), whole.items.map((i) => i[key]), `${url}: the same items in the same order`)
  return whole.items
}

/** A malformed cursor, one from another list, one edited by hand: 400 validation_failed naming the cursor. */
async function checkBadCursors(t: Test, call: TestApp['call'], as: TestUser, url: string, foreign: string[]) {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  for (const cursor of ['bogus', '!!', b64('x'), b64([]), b64([1, 2, 3, 4, 5]), b64({ t: 1 }), ...foreign]) {
    const response = await call('GET', withQuery(url, `cursor=${encodeURIComponent(cursor)}`), as)
    t.equal(response.statusCode, 400, `${url} cursor ${cursor}`)
    t.equal(response.json().code, 'validation_failed')
    t.same(response.json().errors.map((e: { field: string }) => e.field), ['querystring.cursor'])
  }
}

async function checkLimits(t: Test, call: TestApp['call'], as: TestUser, url: string, max: number) {
  for (const limit of [0, max + 1, 'x']) {
    const response = await call('GET', withQuery(url, `limit=${limit}`), as)
    t.equal(response.statusCode, 400, `${url} limit=${limit}`)
    t.equal(response.json().code, 'validation_failed')
  }
  t.equal((await call('GET', withQuery(url, `limit=${max}`), as)).statusCode, 200, `${url}: limit=${max} is allowed`)
}

const cursorOf = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString('base64url')

t.test('users: oldest first, 1-200 (default 50)', async (t) => {
  const { call, user, admin } = await setupWebhookApp(t)
  for (let i = 0; i < 6; i++) await user(i % 2 ? 'agent' : 'supervisor')
  const all = await checkPaging(t, call, admin, '/v1/users', 'id', { all: 200 })
  t.equal(all.length, 7, 'six users and the admin')
  const created = all.map((u) => u.createdAt as string)
  t.same(created, [...created].sort(), 'oldest first')
  const agents = await checkPaging(t, call, admin, '/v1/users?role=agent', 'id', { limit: 1, all: 200 })
  t.same(agents.map((u) => u.role), ['agent', 'agent', 'agent'], 'filters kept')
  const first = (await call('GET', '/v1/users', admin)).json() as Page
  t.equal(first.items.length, 7)
  t.same(Object.keys(first).sort(), ['items', 'nextCursor'])
  await checkLimits(t, call, admin, '/v1/users', 200)
  await checkBadCursors(t, call, admin, '/v1/users', [cursorOf([3]), cursorOf(['2026-11-28T00:00:00.000000Z', 'not-a-uuid'])])
})

t.test('events of a complaint: oldest first, 1-1000 (default 200)', async (t) => {
  const { call, user } = await setupWebhookApp(t)
  const agent = await user('agent')
  const complaint = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  for (let i = 0; i < 7; i++) t.equal((await call('POST', `/v1/complaints/${complaint.id}/notes`, agent, { text: `note ${i}` })).statusCode, 200)
  const url = `/v1/complaints/${complaint.id}/events`
  const all = await checkPaging(t, call, agent, url, 'seq', { all: 1000 })
  t.same(all.map((e) => e.seq), Array.from({ length: all.length }, (_, i) => i + 1), 'by seq, oldest first')
  t.ok(all.length >= 9)
  t.equal(((await call('GET', url, agent)).json() as Page).items.length, all.length, 'the default page holds them')
  await checkLimits(t, call, agent, url, 1000)
  await checkBadCursors(t, call, agent, url, [cursorOf(['2026-11-28T00:00:00.000000Z', complaint.id]), cursorOf([1.5]), cursorOf(['1'])])
  t.equal((await call('GET', `/v1/complaints/00000000-0000-4000-8000-000000000000/events`, agent)).statusCode, 404)
})

t.test('escalations: highest level, then the acknowledgement due soonest (none last), then the oldest', async (t) => {
  const { call, user, db } = await setupWebhookApp(t)
  const agent = await user('agent')
  const supervisor = await user('supervisor', { level: 3 })
  const ids: string[] = []
  for (let i = 0; i < 9; i++) {
    const complaint = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: `+861380000010${i}` } }))).json()
    t.equal((await call('POST', `/v1/complaints/${complaint.id}/escalate`, agent, { reason: 'angry' })).statusCode, 200)
    ids.push(complaint.id)
  }
  // Ties on every key but the id, levels 1 and 2, acknowledged ones without an acknowledgement deadline.
  const shape = [
    [2, '2026-11-28T10:00:00.000Z', '2026-11-20T00:00:00.000Z'], [2, '2026-11-28T10:00:00.000Z', '2026-11-20T00:00:00.000Z'],
    [2, null, '2026-11-19T00:00:00.000Z'], [1, '2026-11-28T09:00:00.000Z', '2026-11-21T00:00:00.000Z'],
    [1, '2026-11-28T09:00:00.000Z', '2026-11-20T00:00:00.000Z'], [1, '2026-11-28T11:00:00.000Z', '2026-11-18T00:00:00.000Z'],
    [1, null, '2026-11-20T00:00:00.000Z'], [1, null, '2026-11-20T00:00:00.000Z'], [1, null, '2026-11-17T00:00:00.000Z'],
  ] as const
  for (const [i, [level, ackDueAt, createdAt]] of shape.entries()) {
    await db.updateTable('complaints').where('id', '=', ids[i]!).set({
      createdAt: new Date(createdAt),
      escalation: sql`escalation || ${JSON.stringify({ level, ackDueAt, acknowledgedAt: ackDueAt ? null : '2026-11-27T00:00:00.000Z' })}::jsonb`,
    } as never).execute()
  }
  const expected = shape.map(([level, ackDueAt, createdAt], i) => ({ id: ids[i]!, level, ackDueAt, createdAt }))
    .sort((a, b) => b.level - a.level
      || (a.ackDueAt === b.ackDueAt ? 0 : a.ackDueAt === null ? 1 : b.ackDueAt === null ? -1 : a.ackDueAt < b.ackDueAt ? -1 : 1)
      || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)
      || (a.id < b.id ? -1 : 1))
  const all = await checkPaging(t, call, supervisor, '/v1/escalations?status=all', 'id', { all: 200 })
  t.same(all.map((c) => c.id), expected.map((e) => e.id), 'the inbox order, id breaking ties')
  const open = await checkPaging(t, call, supervisor, '/v1/escalations?status=acknowledged', 'id', { limit: 1, all: 200 })
  t.same(open.map((c) => c.id), expected.filter((e) => e.ackDueAt === null).map((e) => e.id), 'the status filter kept')
  await checkLimits(t, call, supervisor, '/v1/escalations', 200)
  await checkBadCursors(t, call, supervisor, '/v1/escalations', [cursorOf([1, null, '2026-11-28T00:00:00.000000Z', 'x']),
    cursorOf([null, null, '2026-11-28T00:00:00.000000Z', ids[0]]), cursorOf(['2026-11-28T00:00:00.000000Z', ids[0]])])
  // A well-formed cursor of this list, past its end: an empty last page.
  const past = await call('GET', `/v1/escalations?status=all&cursor=${cursorOf([0, null, '2026-11-28T00:00:00.000000Z', ids[0]])}`, supervisor)
  t.same(past.json(), { items: [], nextCursor: null })
})

t.test('follow-ups: the call due first first (none last), 1-200 (default 50)', async (t) => {
  const { call, user, db } = await setupWebhookApp(t)
  const agent = await user('agent')
  const ids: string[] = []
  for (let i = 0; i < 7; i++) {
    const complaint = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: `+861380000020${i}` } }))).json()
    t.equal((await call('POST', `/v1/complaints/${complaint.id}/resolve`, agent, { summary: 'apologised' })).statusCode, 200)
    ids.push(complaint.id)
  }
  const due = ['2026-11-27T10:00:00.000Z', '2026-11-27T10:00:00.000Z', '2026-11-26T10:00:00.000Z', null, '2026-11-27T10:00:00.000Z', null, '2026-11-25T10:00:00.000Z']
  for (const [i, dueAt] of due.entries()) {
    await db.updateTable('complaints').where('id', '=', ids[i]!)
      .set({ followUp: sql`jsonb_set(follow_up, '{dueAt}', ${JSON.stringify(dueAt)}::jsonb)` } as never).execute()
  }
  const expected = due.map((dueAt, i) => ({ id: ids[i]!, dueAt }))
    .sort((a, b) => (a.dueAt === b.dueAt ? 0 : a.dueAt === null ? 1 : b.dueAt === null ? -1 : a.dueAt < b.dueAt ? -1 : 1) || (a.id < b.id ? -1 : 1))
  const all = await checkPaging(t, call, agent, '/v1/follow-ups?status=all', 'id', { all: 200 })
  t.same(all.map((c) => c.id), expected.map((e) => e.id))
  const dueNow = await checkPaging(t, call, agent, '/v1/follow-ups?status=due&assigneeId=me', 'id', { limit: 1, all: 200 })
  t.same(dueNow.map((c) => c.id), expected.filter((e) => e.dueAt !== null).map((e) => e.id), 'filters kept: due excludes none')
  await checkLimits(t, call, agent, '/v1/follow-ups', 200)
  await checkBadCursors(t, call, agent, '/v1/follow-ups', [cursorOf([3]), cursorOf(['2026-13-45T00:00:00.000000Z', ids[0]]),
    cursorOf(['2026-02-31T00:00:00.000000Z', ids[0]]), cursorOf(['0000-01-01T00:00:00.000000Z', ids[0]]),
    cursorOf(['2026-11-28T00:00:00Z', ids[0]]), cursorOf(['2026-11-28T00:00:00.000000+08:00', ids[0]])])
})

t.test('webhook endpoints: oldest first, 1-200 (default 50); deliveries keep their own cursor', async (t) => {
  const { call, admin } = await setupWebhookApp(t)
  for (let i = 0; i < 5; i++) {
    t.equal((await call('POST', '/v1/webhook-endpoints', admin, { url: `http://127.0.0.1:9/hook-${i}`, events: ['complaint.closed'] })).statusCode, 201)
  }
  const all = await checkPaging(t, call, admin, '/v1/webhook-endpoints', 'id', { all: 200 })
  t.same(all.map((e) => e.url), [0, 1, 2, 3, 4].map((i) => `http://127.0.0.1:9/hook-${i}`), 'oldest first')
  t.equal((await call('DELETE', `/v1/webhook-endpoints/${all[1]!.id as string}`, admin)).statusCode, 204)
  const kept = await checkPaging(t, call, admin, '/v1/webhook-endpoints', 'id', { limit: 1, all: 200 })
  t.equal(kept.length, 4, 'a deleted endpoint is not listed')
  await checkLimits(t, call, admin, '/v1/webhook-endpoints', 200)
  await checkBadCursors(t, call, admin, '/v1/webhook-endpoints', [cursorOf([2])])
  await checkLimits(t, call, admin, `/v1/webhook-endpoints/${all[0]!.id as string}/deliveries`, 200)
})

t.test('repeat complainants: most complaints, then the most recent, then the customer; total on every page', async (t) => {
  const { db, call, admin, user } = await setupWebhookApp(t)
  const supervisor = await user('supervisor')
  const DAY = 86_400_000
  const now = Date.now()
  // Customers with the same count and the same last complaint, to the microsecond: the customer id decides.
  const plan = [[3, 1], [3, 1], [3, 2], [2, 1], [2, 1], [2, 1], [2, 3], [4, 5], [1, 1]] as const
  const at = (days: number) => new Date(now - days * DAY).toISOString()
  const customers: { id: string; count: number; last: string }[] = []
  let n = 0
  for (const [i, [count, lastDays]] of plan.entries()) {
    const id = await insertCustomer(db, `customer ${i}`, `+86138000003${String(i).padStart(2, '0')}`)
    for (let k = 0; k < count; k++) {
      const when = at(lastDays + k * 2)
      await insertComplaint(db, { reference: `R-${++n}`, createdAt: when, customerId: id, category: 'delivery', state: 'logged', promisedBy: when,
        events: [{ type: 'complaint.received', at: when, actor: { id: supervisor.id, role: 'supervisor' } }] })
    }
    customers.push({ id, count, last: at(lastDays) })
  }
  const expected = customers.filter((c) => c.count >= 2)
    .sort((a, b) => b.count - a.count || (a.last > b.last ? -1 : a.last < b.last ? 1 : 0) || (a.id < b.id ? -1 : 1))
  const url = '/v1/reports/repeat-complainants?min=2&days=30'
  const whole = (await call('GET', `${url}&limit=1000`, supervisor)).json()
  t.same(whole.items.map((i: { customer: { id: string } }) => i.customer.id), expected.map((c) => c.id))
  t.equal(whole.nextCursor, null)
  let cursor: string | null = null
  const seen: string[] = []
  let pages = 0
  do {
    const page = (await call('GET', `${url}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin)).json() as Page & { total: number }
    t.equal(page.total, expected.length, 'total counts every page')
    seen.push(...page.items.map((i) => (i.customer as { id: string }).id))
    cursor = page.nextCursor
    pages++
  } while (cursor)
  t.equal(pages, 4)
  t.same(seen, expected.map((c) => c.id), 'paged: the same customers in the same order')
  t.equal((await call('GET', '/v1/reports/repeat-complainants', admin)).json().nextCursor, null)
  await checkLimits(t, call, admin, url, 1000)
  await checkBadCursors(t, call, admin, url, [cursorOf(['2026-11-28T00:00:00.000000Z', expected[0]!.id]), cursorOf([2, '2026-11-28T00:00:00.000000Z', 'x'])])
})

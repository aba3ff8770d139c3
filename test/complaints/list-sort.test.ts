import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { fireTimer } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp, type TestApp, type TestUser } from '../helpers/app.js'
import { setupAppAt } from '../helpers/moving-clock.js'

interface Item { id: string; createdAt: string; updatedAt: string; promisedBy: string | null }
interface Page { items: Item[]; nextCursor: string | null }

/** Every page of a query, one at a time, with the Link header of each page that has a next one. */
async function walk(call: TestApp['call'], as: TestUser, query: string, limit: number) {
  const ids: string[] = []
  const links: string[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < 50; pages++) {
    const response = await call('GET', `/v1/complaints?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, as)
    if (response.statusCode !== 200) throw new Error(`${query}: ${response.statusCode} ${response.body}`)
    const page = response.json() as Page
    ids.push(...page.items.map((c) => c.id))
    cursor = page.nextCursor
    if (!cursor) return { ids, links, lastLink: response.headers.link }
    links.push(String(response.headers.link))
  }
  throw new Error(`${query}: more than 50 pages`)
}

const ids = async (call: TestApp['call'], as: TestUser, query: string) => (await walk(call, as, query, 100)).ids

const problem = async (t: Test, call: TestApp['call'], as: TestUser, query: string) => {
  const response = await call('GET', `/v1/complaints?${query}`, as)
  t.equal(response.statusCode, 400, `${query}: 400`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  return response.json() as { code: string; errors: { field: string; message: string }[] }
}

t.test('sort: each field both ways, nulls last, every complaint once across pages and ties, Link keeps the sort', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const created: string[] = []
  for (let i = 0; i < 9; i++) {
    const response = await call('POST', '/v1/complaints', agent, aComplaint({ summary: `complaint ${i}` }))
    t.equal(response.statusCode, 201, response.body)
    created.push(response.json().id)
  }
  // Three values each, shared by three complaints (ties the id must break); promisedBy null for three.
  const at = (hour: number) => new Date(Date.UTC(2026, 10, 1, hour, 0, 0, 123))
  for (const [i, id] of created.entries()) {
    await db.updateTable('complaints').set({
      createdAt: sql`${at(i % 3)}::timestamptz`, updatedAt: at(10 - ((i + 1) % 3)), promisedBy: i % 3 === 2 ? null : at(20 + (i % 2)),
    }).where('id', '=', id).execute()
  }
  const rows = await db.selectFrom('complaints').select(['id', 'createdAt', 'updatedAt', 'promisedBy']).execute()

  for (const field of ['createdAt', 'updatedAt', 'promisedBy'] as const) {
    for (const dir of [1, -1]) {
      const sort = `${dir < 0 ? '-' : ''}${field}`
      const expected = [...rows].sort((a, b) => {
        const [x, y] = [a[field]?.getTime() ?? null, b[field]?.getTime() ?? null]
        if (x === null || y === null) return x === y ? dir * (a.id < b.id ? -1 : 1) : x === null ? 1 : -1
        return x !== y ? dir * (x - y) : dir * (a.id < b.id ? -1 : 1)
      }).map((r) => r.id)
      t.same(await ids(call, agent, `sort=${sort}`), expected, `${sort}: one page`)
      for (const limit of [1, 2, 4]) {
        const walked = await walk(call, agent, `sort=${encodeURIComponent(sort)}`, limit)
        t.same(walked.ids, expected, `${sort}, ${limit} a page: each once, in order`)
        for (const link of walked.links) t.match(link, new RegExp(`^</v1/complaints\\?sort=${encodeURIComponent(sort)}&limit=${limit}&cursor=[^>]+>; rel="next"$`))
        t.notOk(walked.lastLink, `${sort}: no Link on the last page`)
      }
    }
  }
  t.same(await ids(call, agent, ''), await ids(call, agent, 'sort=-createdAt'), 'without sort: -createdAt')
  t.same((await walk(call, agent, 'sort=-createdAt', 2)).ids, (await walk(call, agent, '', 2)).ids, "the default order's cursors are -createdAt's")
  t.same(await ids(call, agent, 'sort=promisedBy&state=logged&assigneeId=me'), await ids(call, agent, 'sort=promisedBy'), 'with filters')

  // q with sort: the matches in that order; q alone: most relevant first.
  await db.updateTable('complaints').set({ summary: 'Kettle leaking' }).where('id', 'in', [created[1]!, created[4]!, created[5]!]).execute()
  const kettles = (await ids(call, agent, 'sort=-updatedAt')).filter((id) => [created[1], created[4], created[5]].includes(id))
  t.same(await ids(call, agent, 'q=kettle&sort=-updatedAt'), kettles, 'q and sort: the matches in the order')
  t.same((await walk(call, agent, 'q=kettle&sort=-updatedAt', 1)).ids, kettles, 'paged')
  t.same((await ids(call, agent, 'q=kettle')).sort(), [...kettles].sort(), 'q alone: the same matches')
  t.same(await ids(call, agent, 'q=kettle&sort=updatedAt&state=follow_up'), [])
})

t.test('bad sort values and cursors: 400 problems', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  for (let i = 0; i < 3; i++) await call('POST', '/v1/complaints', agent, aComplaint({ summary: `Broken kettle ${i}` }))
  for (const sort of ['closedAt', 'updatedat', '+updatedAt', '--createdAt', '']) {
    const body = await problem(t, call, agent, `sort=${encodeURIComponent(sort)}`)
    t.equal(body.code, 'validation_failed', sort)
    t.match(body.errors[0]!.field, /sort/, sort)
  }
  const cursorOf = async (query: string) => (await call('GET', `/v1/complaints?${query}&limit=1`, agent)).json().nextCursor as string
  const byUpdate = await cursorOf('sort=updatedAt')
  const mismatch = await problem(t, call, agent, `sort=-updatedAt&cursor=${byUpdate}`)
  t.same(mismatch.errors, [{ field: 'querystring.cursor', message: 'was made for sort=updatedAt, not sort=-updatedAt: start again without cursor' }])
  t.match((await problem(t, call, agent, `cursor=${byUpdate}`)).errors[0]!.message, /made for sort=updatedAt, not sort=-createdAt/, 'nor without sort')
  t.match((await problem(t, call, agent, `q=kettle&cursor=${byUpdate}`)).errors[0]!.message, /made for sort=updatedAt, not q without sort/)
  const relevance = await cursorOf('q=kettle')
  t.match((await problem(t, call, agent, `q=kettle&sort=createdAt&cursor=${relevance}`)).errors[0]!.message, /made for q without sort .*, not sort=createdAt/)
  t.match((await problem(t, call, agent, 'sort=promisedBy&cursor=bm90IGEgY3Vyc29y')).errors[0], { field: 'querystring.cursor', message: 'is not a cursor this list gave out' })
  const edited = Buffer.from(JSON.stringify({ order: 'promisedBy', after: ['yesterday', 'x'] })).toString('base64url')
  t.match((await problem(t, call, agent, `sort=promisedBy&cursor=${edited}`)).errors[0]!.message, 'is not a cursor this list gave out')
})

t.test('createdFrom (inclusive), createdTo (exclusive), updatedSince (inclusive), with the other filters', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const other = await user('agent')
  const made: string[] = []
  for (const [i, as] of [agent, agent, other, agent].entries()) {
    const response = await call('POST', '/v1/complaints', as, aComplaint({ summary: `complaint ${i}` }))
    made.push(response.json().id)
  }
  const times = ['2026-11-01T10:00:00.000001Z', '2026-11-02T10:00:00.000000Z', '2026-11-02T10:00:00.000000Z', '2026-11-03T00:00:00.000000Z']
  for (const [i, id] of made.entries()) {
    await db.updateTable('complaints').set({ createdAt: sql`${times[i]}::timestamptz`, updatedAt: sql`${times[3 - i]}::timestamptz` }).where('id', '=', id).execute()
  }
  const [c0, c1, c2, c3] = made as [string, string, string, string]
  const q = (query: string) => ids(call, agent, `${query}&sort=createdAt`)
  t.same(await q('createdFrom=2026-11-02T10:00:00Z'), [...[c1, c2].sort(), c3], 'from: inclusive')
  t.same(await q('createdTo=2026-11-02T10:00:00Z'), [c0], 'to: exclusive')
  t.same(await q('createdFrom=2026-11-01T10:00:00.000001Z&createdTo=2026-11-02T10:00:00.000001Z'), [c0, ...[c1, c2].sort()], 'microseconds count')
  t.same(await q('createdFrom=2026-11-01T10:00:00.000002Z&createdTo=2026-11-03T00:00:00Z'), [c1, c2].sort())
  t.same(await q('createdFrom=2026-11-02T11:00:00%2B01:00&assigneeId=me'), [c1, c3], 'an offset is an instant; with assignee')
  t.same(await q(`createdFrom=2026-11-02T00:00:00Z&assigneeId=${other.id}`), [c2])
  t.same(await q('createdFrom=2026-11-02T00:00:00Z&state=follow_up'), [])
  // updatedAt: c3 oldest, c0 newest.
  t.same(await ids(call, agent, 'updatedSince=2026-11-02T10:00:00Z&sort=updatedAt'), [...[c1, c2].sort(), c0], 'since: inclusive')
  t.same(await ids(call, agent, 'updatedSince=2026-11-03T00:00:00.000001Z'), [], 'after the newest change: nothing')
  t.same(await ids(call, agent, 'updatedSince=2026-11-01T00:00:00Z&createdTo=2026-11-02T10:00:00Z'), [c0], 'combined')

  for (const bad of ['createdFrom=2026-11-02T00:00:00Z&createdTo=2026-11-02T00:00:00Z', 'createdFrom=2026-11-03T00:00:00Z&createdTo=2026-11-02T00:00:00Z']) {
    t.match((await problem(t, call, agent, bad)).errors, [{ field: 'querystring.createdTo', message: 'must be later than createdFrom' }], 'from >= to')
  }
  for (const bad of ['createdFrom=2026-11-02', 'createdTo=yesterday', 'updatedSince=2026-11-02T00:00:00', 'updatedSince=', 'createdFrom=0000-01-01T00:00:00Z', 'updatedSince=2026-02-30T00:00:00Z']) {
    t.equal((await problem(t, call, agent, bad)).code, 'validation_failed', `${bad}: a date-time with its offset`)
  }
})

t.test('updatedSince: a transition and a timer that fires bump updatedAt', async (t) => {
  const start = '2026-11-02T01:00:00.000Z'
  const { call, user, db, advance } = await setupAppAt(t, start)
  const agent = await user('agent')
  const waiting = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'waits' }))).json()
  const quiet = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'quiet' }))).json()
  t.equal(waiting.updatedAt, start)
  t.same(await ids(call, agent, `updatedSince=${start}&sort=updatedAt`), [waiting.id, quiet.id].sort(), 'both created then')

  advance(3_600_000)
  const paused = await call('POST', `/v1/complaints/${waiting.id}/await-customer`, agent, { note: 'asked for the receipt' })
  t.equal(paused.statusCode, 200, paused.body)
  t.equal(paused.json().updatedAt, '2026-11-02T02:00:00.000Z', 'the transition moved updatedAt')
  t.same(await ids(call, agent, 'updatedSince=2026-11-02T01:00:00.001Z'), [waiting.id], 'only the complaint that changed')
  t.same(await ids(call, agent, 'sort=-updatedAt'), [waiting.id, quiet.id])

  const reminder = await db.selectFrom('timers').select(['id', 'dueAt']).where('complaintId', '=', waiting.id)
    .where('kind', '=', 'awaiting_reminder').executeTakeFirstOrThrow()
  const since = '2026-11-02T02:00:00.001Z'
  t.same(await ids(call, agent, `updatedSince=${since}`), [], 'nothing since the transition')
  t.equal((await fireTimer(db, reminder.id, reminder.dueAt)).outcome, 'fired')
  const reminded = (await call('GET', `/v1/complaints/${waiting.id}`, agent)).json()
  t.equal(reminded.updatedAt, reminder.dueAt.toISOString(), 'the timer moved updatedAt to when it fired')
  t.same(await ids(call, agent, `updatedSince=${since}&sort=updatedAt`), [waiting.id], 'the feed shows the fired timer')
  t.same(await ids(call, agent, `updatedSince=${reminded.updatedAt}`), [waiting.id], 'inclusive')
})

t.test('ETag and If-None-Match: 304 on a complaint and on a page', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent')
  const supervisor = await user('supervisor')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const get = (headers: Record<string, string>, as = agent, url = `/v1/complaints/${id}`) => call('GET', url, as, undefined, headers)

  const first = await get({})
  const tag = String(first.headers.etag)
  t.equal(tag, `"${first.json().version}"`)
  for (const header of [tag, `W/${tag}`, `"999", ${tag}`, '*']) {
    const again = await get({ 'if-none-match': header })
    t.equal(again.statusCode, 304, header)
    t.equal(again.body, '', `${header}: no body`)
    t.equal(again.headers.etag, tag, `${header}: the ETag repeated`)
  }
  for (const header of ['"999"', 'W/"999", "0"', tag.replaceAll('"', '')]) {
    t.equal((await get({ 'if-none-match': header })).statusCode, 200, `${header}: no match, the complaint`)
  }
  await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'called back' })
  const changed = await get({ 'if-none-match': tag })
  t.equal(changed.statusCode, 200, 'a change: the new version')
  t.not(changed.headers.etag, tag)
  t.equal((await get({ 'if-none-match': '*' }, agent, '/v1/complaints/00000000-0000-4000-8000-000000000000')).statusCode, 404, '* needs a complaint')

  const list = (headers: Record<string, string>, as = agent, query = '') => get(headers, as, `/v1/complaints?limit=5${query}`)
  const page = await list({})
  const pageTag = String(page.headers.etag)
  t.match(pageTag, /^W\/"[\w-]+"$/, 'a weak tag')
  const same = await list({ 'if-none-match': pageTag })
  t.equal(same.statusCode, 304)
  t.equal(same.body, '')
  t.equal(same.headers.etag, pageTag)
  t.equal((await list({ 'if-none-match': `"x", ${pageTag.slice(2)}` })).statusCode, 304, 'weak comparison, in a list')
  t.equal((await list({ 'if-none-match': pageTag }, supervisor)).statusCode, 200, "another caller: another representation (its actions)")
  t.equal((await list({ 'if-none-match': pageTag }, agent, '&sort=updatedAt')).statusCode, 304, 'the same page in another order of one')
  await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'again' })
  const moved = await list({ 'if-none-match': pageTag })
  t.equal(moved.statusCode, 200, 'a complaint on the page changed')
  t.not(moved.headers.etag, pageTag)
  await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'new' }))
  t.equal((await list({ 'if-none-match': String(moved.headers.etag) })).statusCode, 200, 'a new complaint on the page')
})

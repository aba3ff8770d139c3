import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { WALK_ROWS } from '../../src/search/complaint-search.js'
import { aComplaint, setupApp, type TestUser } from '../helpers/app.js'

// Search (issue 15, docs/search.md): GET /v1/complaints?q= through complaint_search, which triggers keep in step
// with the complaint, its notes and its customer's name; Chinese and English alike; most relevant first.

interface Page { items: { id: string; reference: string; summary: string }[]; nextCursor: string | null }

async function setup(t: Test) {
  const app = await setupApp(t)
  const agent = await app.user('agent')
  let n = 0
  const create = async (overrides: Record<string, unknown>) => {
    n++
    const response = await app.call('POST', '/v1/complaints', agent, aComplaint({
      customer: { name: `Customer ${n}`, phone: `+86 138 0013 ${String(1000 + n)}` }, summary: 'Nothing special', ...overrides,
    }))
    t.equal(response.statusCode, 201, response.body)
    return response.json() as { id: string; reference: string }
  }
  const search = async (q: string, as: TestUser = agent, extra = '') => {
    const response = await app.call('GET', `/v1/complaints?q=${encodeURIComponent(q)}${extra}`, as)
    if (response.statusCode !== 200) throw new Error(`${q}: ${response.statusCode} ${response.body}`)
    return response.json() as Page
  }
  const ids = async (q: string, extra = '') => (await search(q, agent, extra)).items.map((c) => c.id)
  return { ...app, agent, create, search, ids }
}


t.test('Chinese: one character, two characters, a longer run; no pair across words, punctuation or fields', async (t) => {
  const { create, ids } = await setup(t)
  const rude = await create({ summary: '快递员态度差', description: '送货时很不耐烦' })
  const late = await create({ summary: '包裹延误', description: '顺丰快递三天没到' })
  const apart = await create({ summary: '快，递员说不清楚', description: '苹果 手机' })
  const split = await create({ summary: '要求退款快', description: '递交了申请' })

  t.same(await ids('快递'), [rude.id, late.id], 'a two-character term, in a summary (first) or a description')
  t.same((await ids('快')).sort(), [rude.id, late.id, apart.id, split.id].sort(), 'a single character')
  t.same(await ids('快递员'), [rude.id], 'a three-character run: its pairs in that order')
  t.same(await ids('递员态'), [rude.id], 'from the middle of a run')
  t.same(await ids('员快'), [], 'pairs that the text does not hold')
  t.same(await ids('果手'), [], 'no pair across a space (苹果 手机)')
  t.same(await ids('快递员说'), [], 'no pair across punctuation (快，递员说)')
  t.same(await ids('款快递'), [], 'no pair across fields (summary 要求退款快, description 递交了申请)')
  t.same(await ids('态度差 送货'), [rude.id], 'two terms: both must be found')
  t.same(await ids('态度差 顺丰'), [], 'two terms, one missing')
  t.same(await ids('ｶﾟ快递'), [], 'full-width and half-width forms are normalised (NFKC) like the text')
})

t.test('English: whole words, prefixes, case, a phrase; not the middle of a word', async (t) => {
  const { create, ids } = await setup(t)
  const router = await create({ summary: 'Router keeps dropping WiFi', description: 'TP-Link model, bought in March' })
  const route = await create({ summary: 'Courier took the wrong route', description: 'Parcel went to the Tianhe depot' })
  const outer = await create({ summary: 'Outer box crushed' })

  t.same(await ids('rout'), [route.id, router.id], 'a prefix finds both words (newest first within the tier)')
  t.same(await ids('router'), [router.id], 'a whole word')
  t.same(await ids('ROUTER'), [router.id], 'case does not matter')
  t.same(await ids('outer'), [outer.id], 'a word start, not the middle of router')
  t.same(await ids('tp-link'), [router.id], 'punctuation inside a term: the words in order')
  t.same(await ids('link tp'), [router.id], 'two terms in any order')
  t.same(await ids('tianhe dep'), [route.id], 'a description, the last word a prefix')
  t.same(await ids('wrong depot'), [route.id], 'terms across summary and description')
  t.same(await ids('keeps wifi dropping'), [router.id])
  t.same(await ids('keeps-wifi'), [], 'a phrase must be in that order')
  t.same(await ids('ＲＯＵＴＥＲ'), [router.id], 'full-width Latin letters read as ASCII')
})

t.test('reference fragments, customer names and notes are searchable', async (t) => {
  const { create, ids, call, agent, admin, db } = await setup(t)
  const wang = await create({ summary: 'Charged twice', customer: { name: '王小明', phone: '+86 139 0013 9001' } })
  const smith = await create({ summary: 'Late delivery', customer: { name: 'Sarah Smith', phone: '+86 139 0013 9002' } })
  const noted = await create({ summary: 'Something else' })

  const digits = wang.reference.slice(-4)
  const [, day, seq] = wang.reference.split('-') as [string, string, string]
  t.ok(/^C-\d{8}-\d{6}$/.test(wang.reference), wang.reference)
  t.same(await ids(wang.reference), [wang.id], 'the whole reference')
  t.same(await ids(wang.reference.toLowerCase()), [wang.id], 'in lower case')
  t.same(await ids(digits), [wang.id], `its last digits (${digits})`)
  t.same(await ids(`C-${day}`), [noted.id, smith.id, wang.id], 'its day: every complaint of the day, newest first')
  t.same(await ids(`${day.slice(4)}-${seq}`), [wang.id], 'a fragment across its parts')

  t.same(await ids('王小明'), [wang.id], 'a Chinese customer name')
  t.same(await ids('小明'), [wang.id], 'part of it')
  t.same(await ids('smith'), [smith.id], 'an English customer name')
  t.same(await ids('sar smi'), [smith.id], 'prefixes of both names')

  t.same(await ids('仓库'), [], 'before the note')
  const note = await call('POST', `/v1/complaints/${noted.id}/notes`, agent, { text: '客户说仓库已经确认丢件 (depot confirmed)' })
  t.equal(note.statusCode, 200, note.body)
  t.same(await ids('仓库'), [noted.id], 'a note is searchable once added')
  t.same(await ids('丢件 depot'), [noted.id])

  // A customer's name changed later (PATCH /v1/customers/{id}) reaches the search of every complaint of theirs.
  const { customerId } = await db.selectFrom('complaints').select('customerId').where('id', '=', smith.id).executeTakeFirstOrThrow()
  const renamed = await call('PATCH', `/v1/customers/${customerId}`, admin, { name: 'Sarah Jones' })
  t.equal(renamed.statusCode, 200, renamed.body)
  t.same(await ids('jones'), [smith.id], 'the new name')
  t.same(await ids('smith'), [], 'not the old one')

  // A summary changed in the database (no route changes it) is searched by what it says now.
  await db.updateTable('complaints').set({ summary: '冰箱不制冷' }).where('id', '=', wang.id).execute()
  t.same(await ids('冰箱'), [wang.id])
  t.same(await ids('charged'), [])
})

t.test('relevance: every term in the summary, name or reference first; then newest first', async (t) => {
  const { create, ids } = await setup(t)
  const inTitle = await create({ summary: '路由器频繁断网', description: 'nothing more' })
  const inDescription = await create({ summary: 'Internet down', description: '家里的路由器坏了' })
  const inTitleNewer = await create({ summary: 'Router 路由器 reset', description: '' })
  const inName = await create({ summary: 'Billing question', customer: { name: 'Router Lee', phone: '+86 139 0013 9101' } })
  const split = await create({ summary: '路由器', description: 'router broke' })
  const bothInDescription = await create({ summary: 'Other', description: 'router 路由器' })

  t.same(await ids('路由器'), [split.id, inTitleNewer.id, inTitle.id, bothInDescription.id, inDescription.id],
    'summary matches first (newest first), then the rest')
  t.same(await ids('router'), [inName.id, inTitleNewer.id, bothInDescription.id, split.id],
    'a customer name counts as the title')
  t.same(await ids('router 路由器'), [inTitleNewer.id, bothInDescription.id, split.id],
    'two terms: both in the title first; one in the title and one in the description is the second tier')
})

t.test('paging with q keeps the relevance order across tiers; filters and roles still apply', async (t) => {
  const { create, search, ids, user, call, db } = await setup(t)
  const titled: string[] = []
  const described: string[] = []
  for (let i = 0; i < 5; i++) titled.push((await create({ summary: `退款 number ${i}` })).id)
  for (let i = 0; i < 4; i++) described.push((await create({ summary: `Refund ${i}`, description: `要求退款 ${i}` })).id)
  const expected = [...titled.reverse(), ...described.reverse()]
  t.same(await ids('退款'), expected, 'one page')

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const page: Page = await search('退款', undefined, `&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    t.ok(page.items.length <= 2)
    seen.push(...page.items.map((c) => c.id))
    cursor = page.nextCursor
    pages++
  } while (cursor && pages < 20)
  t.same(seen, expected, 'pages of 2 give the same order, each complaint once')
  t.equal(pages, 5)

  const broken = await call('GET', `/v1/complaints?q=${encodeURIComponent('退款')}&cursor=${Buffer.from('[1,"x","y"]').toString('base64url')}`, (await user('agent')))
  t.equal(broken.statusCode, 400, 'a cursor this search did not give out')
  t.equal(broken.json().code, 'validation_failed')
  const plain = (await call('GET', '/v1/complaints?limit=2', (await user('agent')))).json() as Page
  const mixed = await call('GET', `/v1/complaints?q=${encodeURIComponent('退款')}&cursor=${plain.nextCursor}`, (await user('agent')))
  t.equal(mixed.statusCode, 400, "the plain list's cursor is not a search's")

  await db.updateTable('complaints').set({ severity: 'high' }).where('id', 'in', [titled[1]!, described[2]!]).execute()
  t.same(await ids('退款', '&severity=high'), [titled[1], described[2]], 'with another filter')
  t.same(await ids('退款', '&state=closed'), [])

  const integration = await user('integration')
  await db.updateTable('complaints').set({ integrationId: integration.id }).where('id', '=', described[0]!).execute()
  t.same((await search('退款', integration)).items.map((c) => c.id), [described[0]], 'an integration finds only its own')
  t.same(await ids('!!!'), [], 'nothing searchable: nothing found')
})

t.test('the walk and the index give the same answer, whichever finds the matches', async (t) => {
  // More complaints than WALK_ROWS, inserted in bulk (the trigger makes their search rows), so that the term sits
  // both within and beyond the newest rows a tier reads in order before it asks the index.
  const { create, ids, db } = await setup(t)
  const old = await create({ summary: '燃气费计算错误' })
  const { customerId } = await db.selectFrom('complaints').select('customerId').where('id', '=', old.id).executeTakeFirstOrThrow()
  for (let from = 1; from <= WALK_ROWS + 1_000; from += 500) {
    await sql`
      insert into complaints (id, reference, state, channel, customer_id, category, severity, summary, machine_version,
        machine_snapshot, version, created_at, updated_at)
      select gen_random_uuid(), 'B-' || i, 'closed', 'phone', ${customerId}::uuid, 'other', 'low', 'filler ' || i, 'complaint@1',
        '{"value": "closed"}'::jsonb, 1, now() + i * interval '1 ms', now()
      from generate_series(${from}::int, ${from + 499}::int) i`.execute(db)
  }
  const newest = await create({ summary: '燃气费又错了' })
  t.same(await ids('燃气费'), [newest.id, old.id], 'one within the newest rows, one beyond them')
  t.same(await ids('燃气费', '&limit=1'), [newest.id])
  t.same(await ids('计算错误'), [old.id], 'only beyond them')
  t.equal((await ids('filler')).length, 20, 'a frequent term fills the page from the newest rows')
})

// Suggestions on intake: open incidents active within 72 hours whose fields match or whose text is alike, Chinese and
// English; an integration learns the incidents' ids, titles and scores only.
import t from 'tap'
import { MIN_SIMILARITY, SAMPLES_PER_INCIDENT, sampleOf, suggestIncidents, withSamples } from '../../src/incidents/suggestions.js'
import { aComplaint, type TestApp, type TestUser } from '../helpers/app.js'
import { setupAppAt } from '../helpers/moving-clock.js'
import { anIntegration, signed } from '../webhooks/fixtures/webhooks.js'

const HOUR = 3_600_000
const candidate = (id: string, fields: { category?: string; product?: string; region?: string }, ...texts: string[]) =>
  ({ id, title: `incident ${id}`, category: fields.category ?? null, product: fields.product ?? null, region: fields.region ?? null,
    samples: texts.map((text) => sampleOf(null, text)) })

t.test('scoring: text alike (Chinese or English) or fields that match; independent evidence joined', async (t) => {
  const chinese = { category: 'delivery', summary: '包裹一直没到，听说快递站被淹了' }
  const english = { category: 'network', summary: 'My router R7 keeps rebooting every hour' }
  const candidates = [
    candidate('zh', {}, '快递站被淹 包裹延误', '快递站被水淹了，我的包裹一直没到'),
    candidate('en', {}, 'Router R7 reboots after the firmware update', 'router R7 keeps rebooting'),
    candidate('fields', { category: 'delivery', region: 'east' }, 'something else entirely'),
    candidate('unrelated', { category: 'billing' }, '空调安装师傅态度差'),
  ]
  const zh = suggestIncidents({ ...chinese, region: 'east' }, candidates)
  t.same(zh.map((s) => s.id), ['zh', 'fields'], 'the Chinese text finds its incident; the matching fields find theirs')
  t.ok(zh[0]!.score > 0.5 && zh[0]!.score < 1, `similar Chinese text scores ${zh[0]!.score}`)
  t.equal(zh[1]!.score, 0.5, 'both fields the incident names match, no text alike: 0.5')
  t.same(suggestIncidents({ category: 'x', summary: '快递' }, [candidate('weak', {}, '快递站被水淹了，我的包裹一直没到，客服电话也打不通')]), [],
    `text less alike than ${MIN_SIMILARITY} and no field: not suggested`)
  const en = suggestIncidents(english, candidates)
  t.same(en.map((s) => s.id), ['en'], 'English words find theirs; nothing else matches')
  t.ok(en[0]!.score > 0.5, `near-identical English scores ${en[0]!.score}`)
  t.same(suggestIncidents({ ...chinese, region: 'west' }, candidates).find((s) => s.id === 'fields')?.score, 0.25, 'one of two fields: 0.25')
  const both = suggestIncidents({ category: 'delivery', summary: '快递站被水淹了，我的包裹一直没到' }, [candidate('both', { category: 'delivery' }, '快递站被水淹了，我的包裹一直没到')])
  t.same(both, [{ id: 'both', title: 'incident both', score: 1 }], 'the same text and the same fields: 1')
  t.same(suggestIncidents(chinese, []), [])
  t.same(suggestIncidents(chinese, null), [])
  t.same(suggestIncidents({ category: 'Delivery ', summary: 'x' }, [candidate('case', { category: 'delivery' })]).map((s) => s.id), ['case'],
    'fields compare without case or surrounding space')
  const many = Array.from({ length: 8 }, (_, i) => candidate(`c${i}`, { category: 'delivery' }))
  t.equal(suggestIncidents(chinese, many).length, 5, 'at most five')
  t.same(suggestIncidents(chinese, many).map((s) => s.id), ['c0', 'c1', 'c2', 'c3', 'c4'], 'ties keep the most recently active first')
})

t.test('samples: the incident\'s own first, then its newest complaints, each a capped set of tokens', async (t) => {
  const own = sampleOf(null, '快递站被淹', 'Depot 12')
  t.same(own, { complaintId: null, tokens: ['depot', '12', '快递', '递站', '站被', '被淹'] })
  t.equal(sampleOf('c', 'word '.repeat(10) + Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')).tokens.length, 48, 'at most 48 tokens')
  const complaints = Array.from({ length: SAMPLES_PER_INCIDENT + 2 }, (_, i) => sampleOf(`c${i}`, `text ${i}`))
  let samples = withSamples([own], complaints.slice(0, 3))
  t.same(samples.map((s) => s.complaintId), [null, 'c0', 'c1', 'c2'])
  samples = withSamples(samples, complaints.slice(3))
  t.equal(samples.length, 1 + SAMPLES_PER_INCIDENT, 'the newest ten complaints are kept')
  t.same(samples.slice(0, 3).map((s) => s.complaintId), [null, 'c3', 'c4'])
  t.same(withSamples(samples, [], ['c3']).map((s) => s.complaintId).slice(0, 2), [null, 'c4'], 'an unlinked complaint\'s sample leaves')
  t.same(withSamples([own, complaints[0]!], [complaints[0]!]).map((s) => s.complaintId), [null, 'c0'], 'never twice')
})

async function openIncident(testApp: TestApp, lead: TestUser, body: Record<string, unknown>) {
  return (await testApp.call('POST', '/v1/incidents', lead, body)).json() as { id: string; title: string }
}

t.test('on intake: recent open incidents only, Chinese and English, on the 201', async (t) => {
  const testApp = await setupAppAt(t, '2026-12-01T02:00:00.000Z')
  const { call, user, advance } = testApp
  const agent = await user('agent')
  const lead = await user('supervisor')
  const flood = await openIncident(testApp, lead, { title: '快递站被淹，包裹延误' })
  const router = await openIncident(testApp, lead, { title: 'Router R7 reboot loop', description: 'firmware 2.1 makes the R7 reboot every hour' })
  const kettles = await openIncident(testApp, lead, { title: 'Kettle batch 7', product: 'kettle' })
  const first = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: '快递站被水淹了，我的包裹一直没到', product: 'parcel' }))).json()
  await call('POST', `/v1/incidents/${flood.id}/complaints`, agent, { complaintIds: [first.id] })
  t.same(first.suggestedIncidents.map((s: { id: string }) => s.id), [flood.id], 'the first caller of the flood already gets it from its title')

  const zh = await call('POST', '/v1/complaints', agent, aComplaint({ summary: '包裹一直没到，听说快递站被淹了', product: 'parcel', customer: { phone: '+86 138 0013 7001' } }))
  t.equal(zh.statusCode, 201)
  const suggested = zh.json().suggestedIncidents as { id: string; title: string; score: number }[]
  t.same(suggested.map((s) => s.id), [flood.id], 'Chinese text alike a linked complaint')
  t.same(Object.keys(suggested[0]!).sort(), ['id', 'score', 'title'])
  t.equal(suggested[0]!.title, '快递站被淹，包裹延误')
  t.ok(suggested[0]!.score > 0 && suggested[0]!.score <= 1)

  const en = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'My R7 router keeps rebooting every hour', product: 'router', category: 'network', customer: { phone: '+86 138 0013 7002' } }))).json()
  t.same(en.suggestedIncidents.map((s: { id: string }) => s.id), [router.id], 'English words alike the description')
  const kettle = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'Lid cracked', customer: { phone: '+86 138 0013 7003' } }))).json()
  t.same(kettle.suggestedIncidents.map((s: { id: string }) => s.id), [kettles.id], 'the product matches')
  t.equal(kettle.suggestedIncidents[0].score, 0.5)
  const none = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: '空调安装师傅态度差', product: 'aircon', category: 'service', customer: { phone: '+86 138 0013 7004' } }))).json()
  t.same(none.suggestedIncidents, [], 'nothing alike: none')

  // 72 hours on: the incidents nobody linked to are no longer suggested; the flood, linked to 50 hours in, still is.
  advance(50 * HOUR)
  const late = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: '快递站被淹，还没收到包裹', product: 'parcel', customer: { phone: '+86 138 0013 7005' } }))).json()
  await call('POST', `/v1/incidents/${flood.id}/complaints`, agent, { complaintIds: [late.id] })
  advance(23 * HOUR)
  const after = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: '快递站被淹，包裹没到；My R7 router keeps rebooting', customer: { phone: '+86 138 0013 7006' } }))).json()
  t.same(after.suggestedIncidents.map((s: { id: string }) => s.id), [flood.id], 'created 73 hours ago and never linked since: not suggested')

  const lead2 = await user('supervisor', { level: 2, compensationLimit: 1_000 })
  await call('POST', `/v1/incidents/${flood.id}/resolve`, lead2, { summary: 'depot reopened' })
  const resolved = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: '快递站被淹，包裹没到', customer: { phone: '+86 138 0013 7007' } }))).json()
  t.same(resolved.suggestedIncidents, [], 'a resolved incident is not suggested')

  const replay = await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'again', customer: { phone: '+86 138 0013 7008' } }), { 'idempotency-key': 'k1' })
  const replayed = await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'again', customer: { phone: '+86 138 0013 7008' } }), { 'idempotency-key': 'k1' })
  t.equal(replayed.statusCode, 200)
  t.ok('suggestedIncidents' in replay.json(), 'the first answer carries suggestions')
  t.notOk('suggestedIncidents' in replayed.json(), 'a replayed request answers the complaint as stored, without suggestions')
})

t.test("the signed intake's 202 suggests incidents and shows nothing of another integration's complaints", async (t) => {
  const testApp = await setupAppAt(t, '2026-12-01T02:00:00.000Z')
  const { app, call, user } = testApp
  const lead = await user('supervisor')
  const agent = await user('agent')
  const theirs = await anIntegration(testApp)
  const mine = await anIntegration(testApp)
  const post = async (shop: { id: string; secret: string }, complaint: Record<string, unknown>) => {
    const body = JSON.stringify(complaint)
    return app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, body), payload: body })
  }
  const secret = 'Order 8812 for Zhang San at 12 Secret Road: router R7 keeps rebooting'
  const other = (await post(theirs, aComplaint({ summary: secret, customer: { name: 'Zhang San', phone: '+86 138 0013 7101' } }))).json()
  const outage = await openIncident(testApp, lead, { title: 'Router outage' })
  await call('POST', `/v1/incidents/${outage.id}/complaints`, agent, { complaintIds: [other.id] })

  const answer = await post(mine, aComplaint({ summary: 'router R7 keeps rebooting', customer: { phone: '+86 138 0013 7102' } }))
  t.equal(answer.statusCode, 202)
  t.same(answer.json().suggestedIncidents.map((s: { id: string; title: string }) => [s.id, s.title]), [[outage.id, 'Router outage']],
    "suggested through another integration's complaint text")
  for (const leak of ['8812', 'Zhang San', 'Secret Road', other.id, other.reference]) {
    t.notOk(answer.body.includes(leak), `the answer does not carry ${leak}`)
  }
})

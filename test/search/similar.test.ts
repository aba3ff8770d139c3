import t from 'tap'
import { similarOpenComplaints } from '../../src/search/similar.js'
import { textSimilarity } from '../../src/text/tokens.js'
import { aComplaint, setupApp } from '../helpers/app.js'

// GET /v1/complaints/{id}/similar (issue 15): the 10 open complaints most like this one, scored 0..1, never itself.

interface Similar { items: { id: string; reference: string; summary: string; score: number }[] }

t.test('Chinese and English fixtures: most alike first, open only, never the complaint itself', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const lead = await user('supervisor')
  let n = 0
  const create = async (summary: string, description?: string) => {
    n++
    const response = await call('POST', '/v1/complaints', agent, aComplaint({
      summary, ...(description ? { description } : {}), customer: { name: `客户${n}`, phone: `+86 138 0013 ${String(2000 + n)}` },
    }))
    t.equal(response.statusCode, 201, response.body)
    return response.json() as { id: string; reference: string }
  }
  const source = await create('顺丰快递员态度差', '快递员送货时态度恶劣，还把包裹扔在门口')
  const close = await create('快递员态度很差', '送货的快递员态度恶劣')
  const closer = await create('顺丰快递员态度差', '快递员送货时态度恶劣，包裹扔在门口')
  const far = await create('快递延误', '三天没有送到')
  const unrelated = await create('冰箱不制冷', '买了一周就坏了')
  const closed = await create('顺丰快递员态度差', '快递员送货时态度恶劣，还把包裹扔在门口')
  t.equal((await call('POST', `/v1/complaints/${closed.id}/withdraw`, agent, { reason: 'sorted out' })).statusCode, 200)

  const answer = await call('GET', `/v1/complaints/${source.id}/similar`, agent)
  t.equal(answer.statusCode, 200, answer.body)
  const { items } = answer.json() as Similar
  t.same(items.map((i) => i.id), [closer.id, close.id, far.id], 'most alike first; the closed twin, the unrelated one and itself left out')
  t.notOk(items.some((i) => i.id === unrelated.id))
  const [first] = items
  t.equal(first!.reference, closer.reference)
  t.equal(first!.summary, '顺丰快递员态度差')
  t.equal(first!.score, Number(textSimilarity('顺丰快递员态度差\n快递员送货时态度恶劣，还把包裹扔在门口', '顺丰快递员态度差\n快递员送货时态度恶劣，包裹扔在门口').toFixed(3)),
    'the score is textSimilarity of summary and description')
  t.ok(items.every((i) => i.score > 0 && i.score <= 1), 'scores within 0..1')
  t.ok(items[0]!.score >= items[1]!.score && items[1]!.score >= items[2]!.score, 'in score order')

  // English, and escalated counts as open.
  const router = await create('Router keeps dropping the connection', 'The TP-Link router drops wifi every hour')
  const twin = await create('Router dropping connection', 'TP-Link router drops the wifi every hour or so')
  const other = await create('Router arrived scratched')
  t.equal((await call('POST', `/v1/complaints/${twin.id}/escalate`, agent, { reason: 'repeat fault' })).statusCode, 200)
  const english = (await call('GET', `/v1/complaints/${router.id}/similar`, lead)).json() as Similar
  t.same(english.items.map((i) => i.id), [twin.id, other.id], 'a supervisor may ask; escalated is open')
  t.ok(english.items[0]!.score > english.items[1]!.score)

  // Ten at most, from the function the intake's suggestions can call with a new complaint's text.
  for (let i = 0; i < 11; i++) await create(`快递员态度差 ${i}`)
  const ten = (await call('GET', `/v1/complaints/${source.id}/similar`, agent)).json() as Similar
  t.equal(ten.items.length, 10, 'ten at most')
  const direct = await similarOpenComplaints(db, { summary: '快递员态度差', description: null }, { limit: 3 })
  t.equal(direct.length, 3)
  t.ok(direct.every((d) => d.summary.includes('快递员态度差')), 'a text that is no complaint yet')
})

t.test('unknown id: 404; roles: agent and supervisor only', async (t) => {
  const { call, user, admin } = await setupApp(t)
  const agent = await user('agent')
  const integration = await user('integration')
  const missing = await call('GET', '/v1/complaints/00000000-0000-4000-8000-000000000000/similar', agent)
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'not_found')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json() as { id: string }
  t.same((await call('GET', `/v1/complaints/${id}/similar`, agent)).json(), { items: [] }, 'nothing alike: an empty list')
  for (const as of [admin, integration]) {
    const refused = await call('GET', `/v1/complaints/${id}/similar`, as)
    t.equal(refused.statusCode, 403, `${as.role} may not`)
    t.equal(refused.json().code, 'forbidden')
  }
})

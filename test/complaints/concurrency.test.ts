import t from 'tap'
import {
  HISTORY_TYPE,
  machineEventType,
  replay,
  type Actor,
  type ComplaintEvent,
  type FollowUpOutcome,
  type Role,
} from '../../workflows/complaint.machine.js'
import { DEFAULT_POLICY } from '../../src/sla/policy.js'
import { aComplaint, setupApp } from '../helpers/app.js'

interface HistoryItem { seq: number; type: string; actor: { id: string | null; role: string }; data: Record<string, unknown> }
type Authority = { level: number | null; compensationLimit: number | null }

const ACTIONS: [string, Record<string, unknown>][] = [
  ['resolve', { summary: 'voucher', compensation: { kind: 'voucher', amount: 20, currency: 'CNY' } }],
  ['escalate', { reason: 'customer insists' }],
  ['withdraw', { reason: 'customer withdrew' }],
  ['acknowledge', {}],
  ['follow-up', { outcome: 'unsatisfied' }],
  ['follow-up', { outcome: 'unreachable' }],
  ['follow-up', { outcome: 'satisfied', satisfaction: 4 }],
]

t.test('20 conflicting actions at once: one winner, one version, a history that replays', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent', { compensationLimit: 100 })
  const lead = await user('supervisor', { level: 1, compensationLimit: 500 })
  const director = await user('supervisor', { level: 3, compensationLimit: 500 })
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()

  // Round 1 (logged): resolve, escalate and withdraw, each allowed alone. Later rounds also send actions the
  // state refuses, until the complaint closes.
  for (let round = 0; round < 8; round++) {
    const before = (await call('GET', `/v1/complaints/${id}`, agent)).json()
    if (before.state === 'closed') break
    const ifMatch = { 'if-match': `"${before.version}"` }
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => {
      const [action, body] = ACTIONS[round === 0 ? i % 3 : i % ACTIONS.length]!
      const as = round === 0 ? (i % 2 ? lead : agent) : director
      return call('POST', `/v1/complaints/${id}/${action}`, as, body, ifMatch)
    }))
    const winners = responses.filter((r) => r.statusCode === 200)
    t.equal(winners.length, 1, `round ${round} from ${before.state}: exactly one winner`)
    const losers = responses.filter((r) => r.statusCode !== 200)
    t.ok(losers.every((r) => (r.statusCode === 412 && r.json().code === 'version_conflict') ||
      (r.statusCode === 409 && r.json().code === 'invalid_transition')), losers.map((r) => r.body).join('\n'))
    if (round === 0) t.ok(losers.every((r) => r.statusCode === 412), 'in logged every loser lost the version race')
    const after = (await call('GET', `/v1/complaints/${id}`, agent)).json()
    t.equal(after.version, before.version + 1, 'the version went up by exactly one')
    t.equal(after.state, winners[0]?.json().state)
  }

  const events = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items as HistoryItem[]
  const { version } = (await call('GET', `/v1/complaints/${id}`, agent)).json()
  t.same(events.map((e) => e.seq), Array.from({ length: version }, (_, i) => i + 1), 'one event per transition, no gaps')
  t.ok(events.every((e) => !('authority' in e.data)), 'the authority stays internal')

  const stored = await db.selectFrom('complaintEvents').select(['seq', 'data']).where('complaintId', '=', id).orderBy('seq').execute()
  const authority = new Map(stored.map((row) => [row.seq, (row.data as { authority?: Authority }).authority]))
  const machineEvents = events.flatMap((e): ComplaintEvent[] => {
    const type = machineEventType(e.type)
    if (!type) {
      t.equal(e.type, 'complaint.received', 'only the creation is no machine event')
      return []
    }
    t.equal(HISTORY_TYPE[type], e.type)
    const held = authority.get(e.seq)
    const actor: Actor = {
      id: e.actor.id, role: e.actor.role as Role,
      level: held?.level ?? null, compensationLimit: held?.compensationLimit ?? null,
    }
    const compensation = e.data.compensation as { amount?: number | null } | null | undefined
    return [{
      type, actor,
      amount: compensation?.amount ?? null,
      reason: e.data.reason as string,
      outcome: e.data.outcome as FollowUpOutcome,
    } as ComplaintEvent]
  })
  const row = await db.selectFrom('complaints').select(['machineSnapshot', 'state']).where('id', '=', id).executeTakeFirstOrThrow()
  const replayed = replay({ maxLevel: DEFAULT_POLICY.maxLevel, followUpMaxAttempts: DEFAULT_POLICY.followUpAttempts }, machineEvents)
  t.same(replayed, row.machineSnapshot, 'the history replays to the stored snapshot')
  t.equal(replayed.value, row.state)
})

t.test('50 concurrent creates get 50 distinct references', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const supervisor = await user('supervisor')
  const utcDay = () => new Date().toISOString().slice(0, 10).replaceAll('-', '')
  const before = utcDay()
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    call('POST', '/v1/complaints', i % 2 ? agent : supervisor, aComplaint({ customer: { phone: `+86138${String(10_000_000 + i)}` } }))))
  t.ok(responses.every((r) => r.statusCode === 201), responses.find((r) => r.statusCode !== 201)?.body ?? 'all created')
  const references = responses.map((r) => r.json().reference as string)
  t.equal(new Set(references).size, 50, 'no reference twice')
  const days = [before, utcDay()]
  for (const reference of references) t.match(reference, /^C-\d{8}-\d{6}$/)
  t.ok(references.every((r) => days.includes(r.slice(2, 10))), 'the reference carries the UTC day')
  const rows = await db.selectFrom('complaints').select('reference').execute()
  t.equal(rows.length, 50)
})

t.test('20 concurrent creates for one new customer make one customer row', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const formats = ['+8613612345678', '+86 136 1234 5678', '+86-136-1234-5678', '+86 (136) 1234-5678']
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    call('POST', '/v1/complaints', agent, aComplaint({ customer: { name: 'Zhang San', phone: formats[i % formats.length] } }))))
  t.ok(responses.every((r) => r.statusCode === 201), responses.find((r) => r.statusCode !== 201)?.body ?? 'all created')
  const customers = await db.selectFrom('customers').selectAll().execute()
  t.equal(customers.length, 1, 'one customer')
  t.equal(customers[0]?.phone, '+8613612345678')
  t.equal(new Set(responses.map((r) => r.json().customer.id)).size, 1, 'every complaint points at it')
  const complaints = await db.selectFrom('complaints').select('customerId').execute()
  t.equal(complaints.length, 20)
  t.ok(complaints.every((c) => c.customerId === customers[0]?.id))
})

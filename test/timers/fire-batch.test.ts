import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import t from 'tap'
import type { ComplaintState } from '../../workflows/complaint.machine.js'
import type { TimerRow } from '../../src/db/tables.js'
import type { JobKind } from '../../src/timers/jobs.js'
import { fireTimers } from '../../src/timers/fire-timer.js'
import { aComplaint } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'
import { setupWebhookApp, startReceiver } from '../webhooks/fixtures/webhooks.js'

// Fixed ids, so that two databases built alike break routing ties alike (the rule's last key is the id).
const SUPERVISORS = [
  { id: '00000000-0000-4000-8000-000000000101', level: 1, teams: ['east'] },
  { id: '00000000-0000-4000-8000-000000000102', level: 1, teams: [] },
  { id: '00000000-0000-4000-8000-000000000103', level: 2, teams: [] },
  { id: '00000000-0000-4000-8000-000000000104', level: 3, teams: [] },
]
const CALLERS = ['00000000-0000-4000-8000-000000000201', '00000000-0000-4000-8000-000000000202']
const HOUR = { urgent: 'PT1H', high: 'PT1H', normal: 'PT1H', low: 'PT1H' }

/**
 * One database with a batch's worth of due timers: several complaints, two and three timers of one complaint, a
 * routing overtaken before and within the batch, a timer armed for another state, one the machine refuses, a
 * follow-up call. Answers the timers in the order they fall due (their due instants are set one second apart).
 */
async function buildWorld(t: Test) {
  const testApp = await setupWebhookApp(t)
  const { call, admin, db, user } = testApp
  t.equal((await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: HOUR, escalationAck: 'PT1H', escalationResponse: 'PT1H', followUpAfter: 'PT1H' }))).statusCode, 200)
  const hook = await startReceiver(t)
  t.equal((await call('POST', '/v1/webhook-endpoints', admin, { url: hook.url, events: ['complaint.escalated', 'escalation.assigned'] })).statusCode, 201)
  for (const s of SUPERVISORS) {
    await db.insertInto('users').values({ id: s.id, name: `supervisor ${s.id.slice(-3)}`, role: 'supervisor', level: s.level, teams: s.teams, tokenHash: randomUUID() }).execute()
  }
  for (const id of CALLERS) await db.insertInto('users').values({ id, name: `agent ${id.slice(-3)}`, role: 'agent', tokenHash: randomUUID() }).execute()
  const agent = await user('agent', { compensationLimit: 100 })
  const labels = new Map<string, string>([[agent.id, 'agent'], [admin.id, 'admin'], ...SUPERVISORS.map((s) => [s.id, `s${s.id.slice(-1)}`] as const), ...CALLERS.map((id) => [id, `a${id.slice(-1)}`] as const)])
  const complaint = async (label: string, team: string | null, then?: 'escalate' | 'resolve') => {
    const id = (await call('POST', '/v1/complaints', agent, aComplaint(team ? { team } : {}))).json().id as string
    labels.set(id, label)
    if (then === 'escalate') t.equal((await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'x' })).statusCode, 200)
    if (then === 'resolve') t.equal((await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'fixed' })).statusCode, 200)
    return id
  }
  const timer = async (complaintId: string, kind: JobKind) =>
    db.selectFrom('timers').selectAll().where('complaintId', '=', complaintId).where('kind', '=', kind)
      .where('firedAt', 'is', null).where('cancelledAt', 'is', null).orderBy('armedSeq', 'desc').executeTakeFirstOrThrow()
  const forge = async (complaintId: string, kind: JobKind, armedState: ComplaintState) =>
    db.insertInto('timers').values({ id: `${complaintId}.${kind}.900`, complaintId, kind, dueAt: new Date(), armedState, armedSeq: 900 })
      .returningAll().executeTakeFirstOrThrow()

  const c1 = await complaint('c1', 'east')
  const c2 = await complaint('c2', null)
  const c3 = await complaint('c3', null)
  const c4 = await complaint('c4', 'east', 'escalate')
  const c5 = await complaint('c5', null, 'escalate')
  const c6 = await complaint('c6', null, 'escalate')
  // c6's acknowledgement deadline passes first, in a batch of its own, which routes the escalation it takes a level
  // higher itself: its first routing job is overtaken, the second written fired.
  t.equal((await fireTimers(db, [(await timer(c6, 'escalation_ack')).id])).values().next().value!.outcome, 'fired')
  const c7 = await complaint('c7', null)
  const c8 = await complaint('c8', 'east', 'escalate')
  const c9 = await complaint('c9', null, 'resolve')
  const c10 = await complaint('c10', null, 'escalate')

  const c6Routes = await db.selectFrom('timers').selectAll().where('complaintId', '=', c6).where('kind', '=', 'route_escalation').orderBy('armedSeq').execute()
  const order: [string, TimerRow][] = [
    ['c8 routed', await timer(c8, 'route_escalation')],
    ['c4 routed', await timer(c4, 'route_escalation')],
    ['c1 warned', await timer(c1, 'response_warning')],
    // c5's acknowledgement deadline before its routing: the routing job it arms overtakes the one in the batch.
    ['c5 ack missed', await timer(c5, 'escalation_ack')],
    ['c5 routing overtaken in the batch', await timer(c5, 'route_escalation')],
    ['c1 deadline missed', await timer(c1, 'response')],
    ['c2 deadline missed', await timer(c2, 'response')],
    ['c3 armed in another state', await forge(c3, 'escalation_ack', 'escalated')],
    ['c4 ack missed', await timer(c4, 'escalation_ack')],
    ['c6 routing overtaken before', c6Routes[0]!],
    ['c6 routed by its deadline\'s batch', c6Routes[1]!],
    ['c10 ack missed', await timer(c10, 'escalation_ack')],
    // A second escalation of c10 in the batch cancels the acknowledgement deadline its first one armed. (Fired alone,
    // after the first, this timer would have been cancelled by it: the batch claims it first, as it always has.)
    ['c10 deadline missed too', await forge(c10, 'escalation_response', 'escalated')],
    ['c7 refused', await forge(c7, 'follow_up', 'logged')],
    ['c9 follow-up due', await timer(c9, 'follow_up')],
  ]
  const base = Date.now() - 60_000
  for (const [i, [, row]] of order.entries()) await db.updateTable('timers').set({ dueAt: new Date(base + i * 1_000) }).where('id', '=', row.id).execute()
  return { testApp, labels, order, ids: { c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 } }
}

type World = Awaited<ReturnType<typeof buildWorld>>

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g

/** Everything the firings wrote, with ids named by label and instants left out: comparable across databases. */
async function contents({ testApp: { db }, labels }: World) {
  const name = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Date ? 'T' : v)).replace(UUID, (id) => labels.get(id) ?? 'id').replace(ISO, 'T'))
  const events = await db.selectFrom('complaintEvents').select(['complaintId', 'seq', 'type', 'actorId', 'actorRole', 'data']).execute()
  const timers = await db.selectFrom('timers').select(['id', 'kind', 'armedState', 'armedSeq', 'queued', 'firedAt', 'cancelledAt']).execute()
  const complaints = await db.selectFrom('complaints').select(['id', 'state', 'version', 'assigneeId', 'escalation', 'resolution', 'followUp', 'clockPaused', 'promisedBy']).execute()
  const outbox = await db.selectFrom('webhookEvents').select(['complaintId', 'seq', 'seqIndex', 'type', 'payload']).execute()
  const deliveries = await db.selectFrom('webhookDeliveries').select(['complaintId', 'seq', 'seqIndex', 'status', 'attempts']).execute()
  const c10 = (row: object) => Object.values(row).some((v) => typeof v === 'string' && v.startsWith('c10'))
  const sorted = <T extends object>(rows: T[]) => (name(rows) as T[]).filter((r) => !c10(r)).map((r) => JSON.stringify(r)).sort()
  return {
    events: sorted(events),
    timers: sorted(timers.map((r) => ({ ...r, firedAt: r.firedAt !== null, cancelledAt: r.cancelledAt !== null }))),
    complaints: sorted(complaints.map((r) => ({ ...r, promisedBy: r.promisedBy !== null }))),
    outbox: sorted(outbox),
    deliveries: sorted(deliveries),
  }
}

t.test('one batch writes what the same timers fired one at a time write, and answers each outcome as they do', async (t) => {
  const batched = await buildWorld(t)
  const alone = await buildWorld(t)
  const now = new Date()

  const outcomes = await fireTimers(batched.testApp.db, batched.order.map(([, row]) => row.id).reverse(), now)
  const oneByOne = new Map<string, string>()
  for (const [label, row] of alone.order.filter(([label]) => !label.startsWith('c10'))) {
    oneByOne.set(label, (await fireTimers(alone.testApp.db, [row.id], now)).get(row.id)!.outcome)
  }

  const answered = Object.fromEntries(batched.order.map(([label, row]) => [label, outcomes.get(row.id)!.outcome]))
  t.same(answered, {
    'c8 routed': 'fired',
    'c4 routed': 'fired',
    'c1 warned': 'fired',
    'c5 ack missed': 'fired',
    'c5 routing overtaken in the batch': 'stale',
    'c1 deadline missed': 'fired',
    'c2 deadline missed': 'fired',
    'c3 armed in another state': 'stale',
    'c4 ack missed': 'fired',
    'c6 routing overtaken before': 'stale',
    'c6 routed by its deadline\'s batch': 'not_pending',
    'c10 ack missed': 'fired',
    'c10 deadline missed too': 'fired',
    'c7 refused': 'refused',
    'c9 follow-up due': 'fired',
  }, 'the outcome of each timer of the batch')
  t.same(Object.fromEntries(Object.entries(answered).filter(([label]) => !label.startsWith('c10'))), Object.fromEntries(oneByOne),
    'the same outcomes as one timer at a time')

  const [got, expected] = [await contents(batched), await contents(alone)]
  for (const table of Object.keys(expected) as (keyof typeof expected)[]) t.same(got[table], expected[table], `${table}: as one timer at a time leaves them`)

  const { db } = batched.testApp
  const { c8, c9, c10 } = batched.ids
  const acks = await db.selectFrom('timers').selectAll().where('complaintId', '=', c10).where('kind', '=', 'escalation_ack').orderBy('armedSeq').execute()
  t.same(acks.map((r) => [r.armedSeq, r.firedAt !== null, r.cancelledAt !== null]), [[3, true, false], [4, false, true], [6, false, false]],
    "c10's acknowledgement deadlines: fired, armed then cancelled within the batch, armed pending")
  t.equal(acks[1]!.cancelledAt?.getTime(), now.getTime(), 'cancelled at the batch instant')
  const c10Row = await db.selectFrom('complaints').select(['version', 'escalation']).where('id', '=', c10).executeTakeFirstOrThrow()
  t.same([c10Row.version, c10Row.escalation!.level, c10Row.escalation!.reason], [7, 3, 'deadline_missed'], 'c10 climbed twice in one batch')
  const types = (await db.selectFrom('complaintEvents').select('type').where('complaintId', '=', c10).orderBy('seq').execute()).map((e) => e.type)
  t.same(types.slice(-4), ['deadline.ack_missed', 'escalation.assigned', 'deadline.response_missed', 'escalation.assigned'],
    'each with its history row, each routed in the batch')
  const routes = await db.selectFrom('timers').select(['armedSeq']).where('complaintId', '=', c10).where('kind', '=', 'route_escalation')
    .where('firedAt', 'is', null).where('cancelledAt', 'is', null).orderBy('armedSeq').execute()
  t.same(routes.map((r) => r.armedSeq), [3], 'pending: only the routing job of its first escalation (through the API), which will find itself overtaken')
  const c8Row = await db.selectFrom('complaints').select('escalation').where('id', '=', c8).executeTakeFirstOrThrow()
  t.equal(c8Row.escalation!.assigneeId, SUPERVISORS[0]!.id, 'c8 (east) to the east supervisor')
  const caller = await db.selectFrom('complaints').select('assigneeId').where('id', '=', c9).executeTakeFirstOrThrow()
  t.ok(CALLERS.includes(caller.assigneeId!), 'the follow-up call goes to an agent other than the resolver')
  t.ok((await db.selectFrom('webhookDeliveries').select('id').execute()).length > 0, 'the outbox rows are written')
})

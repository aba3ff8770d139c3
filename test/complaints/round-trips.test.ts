import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { recordRoundTrips } from '../helpers/round-trips.js'

// Issue 11: on two cores a statement is a round trip, and round trips are what a request costs. An intake and a
// transition each run in one transaction of at most MAX_IN_TRANSACTION statements between BEGIN and COMMIT,
// counting the locking read and the Idempotency-Key claim. Counted on the real app against the real Postgres.
const MAX_IN_TRANSACTION = 5

const recorded = recordRoundTrips(t)

async function counted<T>(work: () => Promise<T>): Promise<{ answer: T; sql: string[]; transactions: string[][]; redis: string[] }> {
  recorded.clear()
  const answer = await work()
  const sql = [...recorded.sql]
  const redis = [...recorded.redis]
  const transactions: string[][] = []
  let open: string[] | undefined
  for (const statement of sql) {
    if (/^begin/i.test(statement)) open = []
    else if (/^(commit|rollback)/i.test(statement)) {
      transactions.push(open ?? [])
      open = undefined
    } else open?.push(statement)
  }
  return { answer, sql, transactions, redis }
}

t.test('an intake and a transition each take one short transaction', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent', { compensationLimit: 1_000 })
  const lead = await user('supervisor', { level: 1 })
  // Warm: the first request of a kind loads what a long-running process keeps.
  const warm = await call('POST', '/v1/complaints', agent, aComplaint())
  t.equal(warm.statusCode, 201)

  const body = aComplaint({ customer: { name: 'Wang Fang', phone: '+86 138 0013 9001', email: 'wang.fang@example.cn' } })
  const intake = await counted(() => call('POST', '/v1/complaints', agent, body, { 'idempotency-key': 'round-trips-intake-1' }))
  t.equal(intake.answer.statusCode, 201, 'the intake of a new customer with a phone, an email and an Idempotency-Key')
  t.equal(intake.transactions.length, 1, 'is one transaction')
  t.ok(intake.transactions[0]!.length <= MAX_IN_TRANSACTION,
    `of ${intake.transactions[0]!.length} statements between BEGIN and COMMIT (at most ${MAX_IN_TRANSACTION}):\n${intake.transactions[0]!.join('\n')}`)
  t.equal(intake.transactions[0]!.filter((s) => /insert into "complaint_events"/.test(s)).length, 1, 'its two history events are written by one statement')
  t.notOk(intake.sql.some((s) => /update "timers"/.test(s)), 'no timer is inserted and then cancelled')
  t.ok(intake.redis.length <= 1, `at most one Redis round trip (its deadlines, hours away, stay in Postgres): ${intake.redis.join(', ')}`)

  const again = await counted(() => call('POST', '/v1/complaints', agent, body, { 'idempotency-key': 'round-trips-intake-1' }))
  t.equal(again.answer.headers['idempotent-replayed'], 'true', 'the replay answers the same complaint')
  t.equal(again.transactions.length, 0, 'without a transaction')

  const id = intake.answer.json().id as string
  const read = await counted(() => call('GET', `/v1/complaints/${id}`, agent))
  t.equal(read.answer.statusCode, 200)
  t.equal(read.sql.filter((s) => /from "complaints"/.test(s)).length, 1, 'a read loads the complaint, its customer and deadlines in one statement')

  for (const [action, as, payload] of [
    ['escalate', agent, { reason: 'needs a supervisor' }],
    ['acknowledge', lead, undefined],
    ['resolve', lead, { summary: 'Replacement sent' }],
  ] as const) {
    const version = (await call('GET', `/v1/complaints/${id}`, agent)).json().version as number
    const step = await counted(() => call('POST', `/v1/complaints/${id}/${action}`, as, payload ?? {}, { 'if-match': `"${version}"` }))
    t.equal(step.answer.statusCode, 200, `${action} answers 200`)
    const inside = step.transactions[0] ?? []
    t.equal(step.transactions.length, 1, `${action} is one transaction`)
    t.ok(inside.length <= MAX_IN_TRANSACTION,
      `${action}: ${inside.length} statements between BEGIN and COMMIT (at most ${MAX_IN_TRANSACTION}):\n${inside.join('\n')}`)
    // An escalation's routing job is due at once, so it is enqueued: BullMQ sends it as a MULTI of its own, in the same
    // tick as the live publish, so the two travel back to back and the request waits about one round trip for both.
    const most = action === 'escalate' ? 2 : 1
    t.ok(step.redis.length <= most, `${action}: at most ${most} Redis round trip${most > 1 ? 's' : ''}: ${step.redis.join(', ')}`)
  }
})

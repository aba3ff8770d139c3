import t from 'tap'
import type { JobKind } from '../../src/timers/jobs.js'
import { fireTimer } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp } from '../helpers/app.js'

type Deadline = { kind: string; dueAt: string }
const due = (complaint: { deadlines: Deadline[] }, kind: string) => complaint.deadlines.find((d) => d.kind === kind)?.dueAt

t.test('waiting for the customer: reminded once after awaitingReminderAfter, closed as no_response after awaitingCloseAfter', async (t) => {
  const { call, user, db, admin } = await setupApp(t)
  const policy = (await call('GET', '/v1/sla-policies', admin)).json()
  // Around the clock, so the times are plain arithmetic.
  await call('PUT', '/v1/sla-policies', admin, { ...policy, businessHours: { urgent: false, high: false, normal: false, low: false },
    awaitingReminderAfter: 'PT4H', awaitingCloseAfter: 'P1D' })
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const waiting = await call('POST', `/v1/complaints/${id}/await-customer`, agent, { note: 'asked for the receipt' })
  t.equal(waiting.statusCode, 200, waiting.body)
  const since = Date.parse(waiting.json().clockPausedAt)
  t.equal(Date.parse(due(waiting.json(), 'awaiting_reminder')!) - since, 4 * 3_600_000, 'the reminder after PT4H')
  t.equal(Date.parse(due(waiting.json(), 'awaiting_close')!) - since, 24 * 3_600_000, 'the close after P1D')
  t.notOk(due(waiting.json(), 'response'), 'the response clock is stopped')

  const timer = (kind: JobKind) => db.selectFrom('timers').select(['id', 'dueAt']).where('complaintId', '=', id).where('kind', '=', kind)
    .executeTakeFirstOrThrow()
  const reminder = await timer('awaiting_reminder')
  t.equal((await fireTimer(db, reminder.id, reminder.dueAt)).outcome, 'fired')
  t.equal((await fireTimer(db, reminder.id, reminder.dueAt)).outcome, 'not_pending', 'once')
  const reminded = (await call('GET', `/v1/complaints/${id}`, agent)).json()
  t.equal(reminded.state, 'logged', 'a reminder changes no state')
  t.notOk(due(reminded, 'awaiting_reminder'))
  t.ok(due(reminded, 'awaiting_close'), 'the close is still ahead')

  const close = await timer('awaiting_close')
  t.equal((await fireTimer(db, close.id, close.dueAt)).outcome, 'fired')
  const closed = (await call('GET', `/v1/complaints/${id}`, agent)).json()
  t.match(closed, { state: 'closed', closeReason: 'no_response', deadlines: [] })
  const types = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
  t.same(types.slice(2), ['complaint.awaiting_customer', 'complaint.awaiting_reminder', 'complaint.closed_no_response'])
})

t.test('an answer from the customer stops both', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/await-customer`, agent, {})
  const resumed = await call('POST', `/v1/complaints/${id}/resume`, agent, { note: 'they called back' })
  t.equal(resumed.statusCode, 200)
  t.same(resumed.json().deadlines.map((d: Deadline) => d.kind).sort(), ['response', 'response_warning'])
  const cancelled = await db.selectFrom('timers').select(['kind', 'cancelledAt', 'firedAt']).where('complaintId', '=', id)
    .where('kind', 'in', ['awaiting_reminder', 'awaiting_close']).execute()
  t.equal(cancelled.length, 2)
  t.ok(cancelled.every((x) => x.cancelledAt !== null && x.firedAt === null), 'cancelled, never fired')
})

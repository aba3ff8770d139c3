// The customer is told through the real routes: an approved extension and a reminder while waiting write their
// messages in the transition's own statement (delivery itself: test/notifications).
import t from 'tap'
import { notifySettings } from '../../src/notifications/settings.js'
import { fireTimers } from '../../src/timers/fire-timer.js'
import { aComplaint, setupApp } from '../helpers/app.js'

const SMS = { SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms', SMS_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' }

t.test('an approved extension tells the customer the new time and the reason; a refusal tells nothing', async (t) => {
  const { call, user, db, admin } = await setupApp(t, { config: SMS })
  const policy = (await call('GET', '/v1/sla-policies', admin)).json() as Record<string, unknown>
  await call('PUT', '/v1/sla-policies', admin, { ...policy, calendar: { ...(policy.calendar as object), timezone: 'Asia/Shanghai' } })
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 1 })
  const { id, promisedBy } = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+8613800138000', language: 'en' } }))).json()
  const until = new Date(Date.parse(promisedBy) + 86_400_000)
  until.setUTCHours(2, 0, 0, 0)
  await call('POST', `/v1/complaints/${id}/request-extension`, agent, { until: until.toISOString(), reason: 'the part is late' })
  t.equal((await call('POST', `/v1/complaints/${id}/decide-extension`, lead, { approve: true, note: 'internal' })).statusCode, 200)
  const messages = async () => db.selectFrom('notifications').select(['kind', 'body', 'seq']).where('complaintId', '=', id).orderBy('seq').execute()
  const told = await messages()
  t.same(told.map((m) => m.kind), ['complaint_logged', 'promise_extended'])
  t.match(told[1]!.body, /\(the part is late\)/)
  t.notMatch(told[1]!.body, /internal/, 'never the supervisor\'s note')
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', day: 'numeric', month: 'short', year: 'numeric' }).format(until)
  t.match(told[1]!.body, new RegExp(`${local}, 10:00`), 'the new time in the calendar zone')

  await call('POST', `/v1/complaints/${id}/request-extension`, agent, { until: new Date(until.getTime() + 3_600_000).toISOString(), reason: 'again' })
  await call('POST', `/v1/complaints/${id}/decide-extension`, lead, { approve: false })
  t.equal((await messages()).length, 2, 'a refusal tells the customer nothing')
})

t.test('a customer left waiting is reminded once', async (t) => {
  const { call, user, db } = await setupApp(t, { config: SMS })
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/await-customer`, agent, {})
  const reminder = await db.selectFrom('timers').select(['id', 'dueAt']).where('complaintId', '=', id).where('kind', '=', 'awaiting_reminder')
    .executeTakeFirstOrThrow()
  // As the worker fires it, with the worker's notification settings.
  await fireTimers(db, [reminder.id], reminder.dueAt, undefined, notifySettings(SMS))
  const kinds = await db.selectFrom('notifications').select('kind').where('complaintId', '=', id).orderBy('seq').execute()
  t.same(kinds.map((k) => k.kind), ['complaint_logged', 'awaiting_reminder'])
})

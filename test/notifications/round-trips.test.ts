import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { recordRoundTrips } from '../helpers/round-trips.js'
import { SMS_SECRET } from './fixtures/notify.js'

// A transition that also writes messages to the customer costs no statement more: they are CTEs of its one write.
const recorded = recordRoundTrips(t)

function transactionOf(sql: string[]): string[] {
  const begin = sql.findIndex((s) => /^begin/i.test(s))
  const end = sql.findIndex((s, i) => i > begin && /^commit/i.test(s))
  return sql.slice(begin + 1, end)
}

t.test('an intake and a resolution write their messages in the statement that writes the complaint', async (t) => {
  // No SMTP server or gateway runs: nothing here sends, it only writes.
  const { call, user, db } = await setupApp(t, { config: { SMTP_URL: 'smtp://127.0.0.1:9', SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms', SMS_WEBHOOK_SECRET: SMS_SECRET } })
  const agent = await user('agent', { compensationLimit: 1_000 })
  t.equal((await call('POST', '/v1/complaints', agent, aComplaint())).statusCode, 201, 'warm')

  recorded.clear()
  const created = await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 138 0013 9001', email: 'wang.fang@example.cn' } }))
  t.equal(created.statusCode, 201)
  const intake = transactionOf(recorded.sql)
  t.ok(intake.length <= 5, `the intake: ${intake.length} statements, as without messages`)
  const writes = intake.filter((s) => /insert into "notifications"/.test(s))
  t.equal(writes.length, 1)
  t.match(writes[0], /insert into "complaints"/, 'in the complaint\'s own INSERT')
  // The messages add no Redis command: the worker's loader hands them to the delivery queue. The live events'
  // pipeline is all there is.
  t.ok(recorded.redis.length <= 1, `Redis after commit: ${recorded.redis.join(', ')}`)
  t.notOk(recorded.redis.some((r) => /evalsha/.test(r)), 'no job added on the request path')

  recorded.clear()
  t.equal((await call('POST', `/v1/complaints/${created.json().id}/resolve`, agent, { summary: 'Refunded' })).statusCode, 200)
  const resolve = transactionOf(recorded.sql)
  t.ok(resolve.length <= 5, `the resolution: ${resolve.length} statements`)
  t.match(resolve.find((s) => /insert into "notifications"/.test(s)), /update "complaints"/, 'in the complaint\'s own UPDATE')
  t.notOk(recorded.redis.some((r) => /evalsha/.test(r)), `no job added for the resolution's messages: ${recorded.redis.join(', ')}`)

  const kinds = await db.selectFrom('notifications').select(['kind', 'channel']).where('complaintId', '=', created.json().id).orderBy('kind').orderBy('channel').execute()
  t.same(kinds.map((k) => `${k.kind}/${k.channel}`), ['complaint_logged/email', 'complaint_logged/sms', 'complaint_resolved/email', 'complaint_resolved/sms'])
})

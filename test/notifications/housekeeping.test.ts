import t from 'tap'
import { housekeep } from '../../src/housekeeping/housekeeping.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { SMS_SECRET } from './fixtures/notify.js'

const DAY = 86_400_000

t.test('settled messages are forgotten after WEBHOOK_DELIVERY_RETENTION; pending ones never', async (t) => {
  const testApp = await setupApp(t, { config: { SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms', SMS_WEBHOOK_SECRET: SMS_SECRET } })
  const agent = await testApp.user('agent')
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push((await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: `+86 138 0013 800${i}` } }))).json().id)
  const rows = await testApp.db.selectFrom('notifications').select(['id', 'complaintId']).execute()
  t.equal(rows.length, 3)
  const long = new Date(Date.now() - 31 * DAY)
  const of = (complaintId: string) => rows.find((r) => r.complaintId === complaintId)!.id
  await testApp.db.updateTable('notifications').set({ status: 'sent', sentAt: long, updatedAt: long }).where('id', '=', of(ids[0]!)).execute()
  await testApp.db.updateTable('notifications').set({ status: 'failed', updatedAt: new Date() }).where('id', '=', of(ids[1]!)).execute()
  await testApp.db.updateTable('notifications').set({ updatedAt: long }).where('id', '=', of(ids[2]!)).execute()

  const report = await housekeep(testApp.db, { idempotencyKeyRetentionMs: 30 * DAY, webhookDeliveryRetentionMs: 30 * DAY })
  t.equal(report.notificationsDeleted, 1)
  const left = await testApp.db.selectFrom('notifications').select('id').orderBy('id').execute()
  t.same(left.map((r) => r.id), [of(ids[1]!), of(ids[2]!)].sort(), 'the recent settled one and the old pending one stay')
})

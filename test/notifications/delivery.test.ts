import t, { type Test } from 'tap'
import { aComplaint } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'
import { notificationsOf, setupNotifyApp, SMS_SECRET, startGateway, startNotifyWorker, startSmtp } from './fixtures/notify.js'
import { DEFAULT_POLICY } from '../../src/sla/policy.js'
import { anIntegration, signed } from '../webhooks/fixtures/webhooks.js'

const EMAIL = 'li.wei@example.com'
const PHONE = '+86 138 0013 8000'
const E164 = '+8613800138000'

/** A promise a few days ahead at 10:30 UTC: 18:30 in Shanghai (UTC+8 all year). */
function promise() {
  const at = new Date(Date.now() + 4 * 86_400_000)
  at.setUTCHours(10, 30, 0, 0)
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const local = new Date(at.getTime() + 8 * 3_600_000)
  const [y, m, d] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()]
  return { iso: at.toISOString(), en: `${d} ${months[m]} ${y}, 18:30`, zh: `${y}年${m + 1}月${d}日 18:30` }
}

async function setup(t: Test) {
  const smtp = await startSmtp(t, { auth: { user: 'hotline', pass: 's3cret' } })
  const gateway = await startGateway(t)
  const config = { SMTP_URL: smtp.url, NOTIFY_FROM: 'Hotline Care <care@hotline.example>', SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_SECRET: SMS_SECRET }
  const testApp = await setupNotifyApp(t, config)
  const policy = { ...DEFAULT_POLICY, calendar: { ...DEFAULT_POLICY.calendar, timezone: 'Asia/Shanghai' } }
  const put = await testApp.call('PUT', '/v1/sla-policies', testApp.admin, policy)
  t.equal(put.statusCode, 200, put.body)
  const worker = startNotifyWorker(t, testApp, config)
  return { smtp, gateway, testApp, worker, agent: await testApp.user('agent') }
}

t.test('a logged complaint tells the customer by email and SMS, in their language, the time in the calendar zone', async (t) => {
  const { smtp, gateway, testApp, worker, agent } = await setup(t)
  const when = promise()
  const created = await testApp.call('POST', '/v1/complaints', agent, aComplaint({
    customer: { name: 'Li Wei', phone: PHONE, email: EMAIL, language: 'en' }, promisedBy: when.iso,
  }))
  t.equal(created.statusCode, 201, created.body)
  const complaint = created.json()
  t.match(complaint.customer, { language: 'en', notify: true })
  const rows = await notificationsOf(testApp, complaint.id)
  t.same(rows.map((r) => [r.channel, r.kind, r.seq]), [['email', 'complaint_logged', 2], ['sms', 'complaint_logged', 2]],
    'written with the transition that logged it')
  const [emailRow, smsRow] = rows

  await waitFor(async () => smtp.received.length >= 1 && gateway.accepted().length >= 1, 20_000, 'the email and the SMS')
  const mail = smtp.received[0]!
  t.same(mail.to, [EMAIL])
  t.equal(mail.user, 'hotline', 'credentials in SMTP_URL log in')
  t.match(mail.from, 'care@hotline.example')
  t.equal(mail.messageId, `<${emailRow!.id}@hotline.example>`, "the Message-ID is the notification's id")
  t.equal(mail.subject, `We have logged your complaint (${complaint.reference})`)
  t.equal(mail.text, `Dear Li Wei, your complaint is logged as ${complaint.reference}. We will answer you by ${when.en}.`)

  const sms = gateway.accepted()[0]!
  t.ok(sms.verified, 'signed per Standard Webhooks with SMS_WEBHOOK_SECRET')
  t.equal(sms.webhookId, smsRow!.id, "the webhook-id is the notification's id")
  t.same(sms.body, { to: E164, text: mail.text, complaintId: complaint.id, kind: 'complaint_logged' })

  const list = await waitFor(async () => {
    const page = (await testApp.call('GET', `/v1/complaints/${complaint.id}/notifications`, agent)).json()
    return page.items.every((i: { status: string }) => i.status === 'sent') && page
  }, 10_000, 'both recorded as sent')
  t.same(list.items.map((i: Record<string, unknown>) => [i.channel, i.to, i.status, i.attempts, i.lastError, i.kind]).sort(), [
    ['email', 'l***@example.com', 'sent', 1, null, 'complaint_logged'],
    ['sms', '+86 138****8000', 'sent', 1, null, 'complaint_logged'],
  ])
  t.ok(list.items.every((i: { sentAt: string | null }) => i.sentAt && !Number.isNaN(Date.parse(i.sentAt))))
  t.equal(list.nextCursor, null)

  const resolved = await testApp.call('POST', `/v1/complaints/${complaint.id}/resolve`, agent, { summary: 'Replacement lid sent' })
  t.equal(resolved.statusCode, 200, resolved.body)
  await waitFor(async () => smtp.received.length >= 2 && gateway.accepted().length >= 2, 20_000, 'the resolution')
  t.equal(smtp.received[1]!.subject, `Your complaint ${complaint.reference} is resolved`)
  t.match(smtp.received[1]!.text, 'resolved: Replacement lid sent.')
  t.equal(gateway.accepted()[1]!.body.kind, 'complaint_resolved')

  const everyLog = [...testApp.logs, ...worker.logs].join('')
  t.ok(worker.logs.some((l) => l.includes('customer message attempted')), 'the worker logged its attempts')
  for (const secret of [EMAIL, E164, '13800138000']) t.notOk(everyLog.includes(secret), `no log line carries ${secret}`)
})

t.test('zh-CN by default; notify: false silences; a later intake changes an existing customer\'s preferences', async (t) => {
  const { smtp, gateway, testApp, agent } = await setup(t)
  const when = promise()
  const zh = (await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 139 0013 9000' }, promisedBy: when.iso }))).json()
  t.same(zh.customer.language ?? null, null)
  await waitFor(async () => gateway.accepted().some((s) => s.body.complaintId === zh.id), 20_000, 'the SMS')
  t.equal(gateway.accepted().find((s) => s.body.complaintId === zh.id)!.body.text,
    `客户，您好：您的投诉已受理，编号 ${zh.reference}。我们将在 ${when.zh} 前答复您。`)
  t.same((await notificationsOf(testApp, zh.id)).map((r) => r.channel), ['sms'], 'no email address, no email')

  const quiet = await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { name: 'Wang Fang', email: 'wang@example.com', notify: false } }))
  t.equal(quiet.statusCode, 201, quiet.body)
  t.equal(quiet.json().customer.notify, false)
  t.same(await notificationsOf(testApp, quiet.json().id), [], 'notify: false writes no message')
  const resolved = await testApp.call('POST', `/v1/complaints/${quiet.json().id}/resolve`, agent, { summary: 'Refunded' })
  t.equal(resolved.statusCode, 200)
  t.same(await notificationsOf(testApp, quiet.json().id), [], 'nor on resolution')

  const again = await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { email: 'wang@example.com', notify: true, language: 'en' } }))
  t.equal(again.json().customer.id, quiet.json().customer.id, 'the same customer')
  t.match(again.json().customer, { notify: true, language: 'en', name: 'Wang Fang' }, 'preferences updated, unlike the identities')
  await waitFor(async () => smtp.received.some((m) => m.to.includes('wang@example.com')), 20_000, 'the email')
  t.match(smtp.received.find((m) => m.to.includes('wang@example.com'))!.subject, /^We have logged your complaint/)
})

t.test('the list: paging, refusals', async (t) => {
  const { testApp, agent } = await setup(t)
  const supervisor = await testApp.user('supervisor')
  const created = (await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: PHONE, email: EMAIL } }))).json()
  const first = (await testApp.call('GET', `/v1/complaints/${created.id}/notifications?limit=1`, supervisor)).json()
  t.equal(first.items.length, 1)
  t.type(first.nextCursor, 'string')
  const second = (await testApp.call('GET', `/v1/complaints/${created.id}/notifications?limit=1&cursor=${first.nextCursor}`, supervisor)).json()
  t.equal(second.items.length, 1)
  t.not(second.items[0].id, first.items[0].id)
  t.equal(second.nextCursor, null)
  const call = (url: string, as = agent) => testApp.call('GET', url, as)
  t.equal((await call(`/v1/complaints/${created.id}/notifications?limit=0`)).statusCode, 400)
  t.equal((await call(`/v1/complaints/${created.id}/notifications?limit=201`)).statusCode, 400)
  const badCursor = await call(`/v1/complaints/${created.id}/notifications?cursor=bm9wZQ`)
  t.equal(badCursor.statusCode, 400)
  t.equal(badCursor.json().code, 'validation_failed')
  t.equal((await call('/v1/complaints/00000000-0000-4000-8000-000000000000/notifications')).json().code, 'not_found')
  t.equal((await call(`/v1/complaints/${created.id}/notifications`, testApp.admin)).statusCode, 403)
  t.equal((await testApp.call('GET', `/v1/complaints/${created.id}/notifications`, null)).statusCode, 401)
})

t.test('the signed intake takes the preferences; the message goes out when an agent logs the complaint', async (t) => {
  const { smtp, testApp, agent } = await setup(t)
  const shop = await anIntegration(testApp)
  const body = JSON.stringify({ customer: { externalId: 'cust-9', email: 'zhao@example.com', language: 'en' }, category: 'delivery', summary: 'Late parcel' })
  const intake = await testApp.app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, body), payload: body })
  t.equal(intake.statusCode, 202, intake.body)
  const received = intake.json()
  t.match(received.customer, { language: 'en', notify: true })
  t.same(await notificationsOf(testApp, received.id), [], 'received, not logged: nothing to tell yet')

  const logged = await testApp.call('POST', `/v1/complaints/${received.id}/log`, agent, {})
  t.equal(logged.statusCode, 200, logged.body)
  const mail = await waitFor(async () => smtp.received.find((m) => m.to.includes('zhao@example.com')), 20_000, 'the email')
  t.equal(mail.subject, `We have logged your complaint (${received.reference})`)
  t.match(mail.text, /^Dear customer, /, 'no name: a word for one')

  const quiet = JSON.stringify({ customer: { externalId: 'cust-9', notify: false }, category: 'delivery', summary: 'Another' })
  const second = await testApp.app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, quiet), payload: quiet })
  t.equal(second.json().customer.notify, false, "the signed intake changes an existing customer's preference")
  await testApp.call('POST', `/v1/complaints/${second.json().id}/log`, agent, {})
  t.same(await notificationsOf(testApp, second.json().id), [])
})

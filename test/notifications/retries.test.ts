import t from 'tap'
import { aComplaint } from '../helpers/app.js'
import { fastPolicy, waitFor } from '../helpers/worker.js'
import { parseScrape } from '../metrics/fixtures/prometheus.js'
import { FAST, notificationsOf, setupNotifyApp, SMS_SECRET, startGateway, startNotifyWorker, startSmtp } from './fixtures/notify.js'

const EMAIL = 'li.wei@example.com'

t.test('failed attempts are retried on the webhook schedule, under the same ids', async (t) => {
  // The gateway refuses every message's first two attempts; the SMTP server refuses each message's first one (451).
  const gateway = await startGateway(t, { answer: (sms, attempt) => (sms.verified ? (attempt <= 2 ? 500 : 200) : 401) })
  const smtp = await startSmtp(t, { answer: (_id, attempt) => (attempt === 1 ? { code: 451, message: `try later, ${EMAIL}` } : 'ok') })
  const config = { SMTP_URL: smtp.url, SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_SECRET: SMS_SECRET }
  const testApp = await setupNotifyApp(t, config)
  const { metrics } = startNotifyWorker(t, testApp, config)
  const agent = await testApp.user('agent')
  const created = (await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 138 0013 8000', email: EMAIL } }))).json()

  const settled = await waitFor(async () => {
    const rows = await notificationsOf(testApp, created.id)
    return rows.every((r) => r.status === 'sent') && rows
  }, 30_000, 'both messages sent')
  const email = settled.find((r) => r.channel === 'email')!
  const sms = settled.find((r) => r.channel === 'sms')!
  t.equal(email.attempts, 2)
  t.equal(sms.attempts, 3)
  t.equal(smtp.attempts.get(`<${email.id}@localhost>`), 2, "both SMTP attempts carried the same Message-ID (NOTIFY_FROM's default domain)")
  t.same(gateway.received.map((r) => r.webhookId), [sms.id, sms.id, sms.id], 'every SMS attempt carried the same webhook-id')
  t.equal(gateway.accepted().length, 1)
  t.equal(smtp.received.length, 1)
  const counted = async (outcome: string) => parseScrape(await metrics.text()).value('hotline_notifications_total', { outcome })
  await waitFor(async () => (await counted('sent')) === 2, 5_000, 'the count')
  t.equal(await counted('retrying'), 3, 'the refused attempts, counted in hotline_notifications_total')
  t.equal(await counted('failed'), 0)
})

t.test('failed after WEBHOOK_RETRY_FOR; an SMTP server\'s permanent refusal fails at once; errors masked', async (t) => {
  const gateway = await startGateway(t, { answer: () => 503 })
  const smtp = await startSmtp(t, { answer: () => ({ code: 550, message: `mailbox ${EMAIL} unavailable` }) })
  const config = { SMTP_URL: smtp.url, SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_SECRET: SMS_SECRET }
  const testApp = await setupNotifyApp(t, config)
  startNotifyWorker(t, testApp, config, { ...FAST, WEBHOOK_RETRY_FOR_MS: 1_000 })
  const agent = await testApp.user('agent')
  const created = (await testApp.call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+86 138 0013 8000', email: EMAIL } }))).json()

  const list = await waitFor(async () => {
    const page = (await testApp.call('GET', `/v1/complaints/${created.id}/notifications`, agent)).json()
    return page.items.every((i: { status: string }) => i.status === 'failed') && page
  }, 30_000, 'both messages to fail')
  const email = list.items.find((i: { channel: string }) => i.channel === 'email')
  const sms = list.items.find((i: { channel: string }) => i.channel === 'sms')
  t.equal(email.attempts, 1, 'a 5xx from the SMTP server is not retried')
  t.match(email.lastError, /550.*mailbox l\*\*\*@example\.com unavailable/)
  t.notMatch(email.lastError, EMAIL, 'the address is masked in the error')
  t.ok(sms.attempts >= 2, `retried until the window closed (${sms.attempts} attempts)`)
  t.equal(sms.lastError, 'the SMS gateway answered 503')
  t.equal(sms.sentAt, null)
  t.equal(gateway.received.length, sms.attempts)
})

t.test('a missed promise apologises, from a timer batch', async (t) => {
  const gateway = await startGateway(t)
  const config = { SMS_WEBHOOK_URL: gateway.url, SMS_WEBHOOK_SECRET: SMS_SECRET, DEFAULT_LANGUAGE: 'en' as const }
  const testApp = await setupNotifyApp(t, config)
  t.equal((await testApp.call('PUT', '/v1/sla-policies', testApp.admin, fastPolicy())).statusCode, 200)
  startNotifyWorker(t, testApp, config)
  const agent = await testApp.user('agent')
  const created = (await testApp.call('POST', '/v1/complaints', agent, aComplaint())).json()
  const apology = await waitFor(async () => gateway.accepted().find((s) => s.body.kind === 'promise_missed'), 30_000, 'the apology')
  t.equal(apology.body.complaintId, created.id)
  t.match(apology.body.text, new RegExp(`sorry.*${created.reference}.*senior colleague`))
  const rows = await notificationsOf(testApp, created.id)
  const missed = rows.find((r) => r.kind === 'promise_missed')!
  const event = await testApp.db.selectFrom('complaintEvents').select('seq').where('complaintId', '=', created.id)
    .where('type', '=', 'deadline.response_missed').executeTakeFirstOrThrow()
  t.equal(missed.seq, event.seq, 'written with the transition that missed the deadline')
})

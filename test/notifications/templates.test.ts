import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { notificationsOf } from './fixtures/notify.js'

t.test('templates: listed, replaced, checked, and used by the next message', async (t) => {
  // A configured channel, never reached: these tests read the written rows only.
  const testApp = await setupApp(t, { config: { SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms', SMS_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' } })
  const { call, admin } = testApp
  const agent = await testApp.user('agent')

  const listed = await call('GET', '/v1/notification-templates', admin)
  t.equal(listed.statusCode, 200)
  const items = listed.json().items as { kind: string; language: string; subject: string; text: string; custom: boolean; updatedAt: string | null }[]
  t.equal(items.length, 10, 'five kinds in two languages')
  t.same([...new Set(items.map((i) => i.kind))].sort(), ['awaiting_reminder', 'complaint_logged', 'complaint_resolved', 'promise_extended', 'promise_missed'])
  t.ok(items.every((i) => !i.custom && i.updatedAt === null && i.text.includes('{{reference}}')), 'the shipped ones')

  const put = (kind: string, language: string, body: unknown, as = admin) => call('PUT', `/v1/notification-templates/${kind}/${language}`, as, body)
  const saved = await put('complaint_logged', 'en', { subject: 'Ref {{reference}}', text: 'Hello {{customerName}}: {{ reference }} by {{promisedBy}}' })
  t.equal(saved.statusCode, 200, saved.body)
  t.match(saved.json(), { kind: 'complaint_logged', language: 'en', subject: 'Ref {{reference}}', custom: true })
  t.ok(Date.parse(saved.json().updatedAt))
  const after = (await call('GET', '/v1/notification-templates', admin)).json().items
  t.equal(after.filter((i: { custom: boolean }) => i.custom).length, 1)

  const created = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { name: 'Ann', phone: '+86 138 0013 8000', language: 'en' } }))).json()
  const [row] = await notificationsOf(testApp, created.id)
  t.match(row!.body, new RegExp(`^Hello Ann: ${created.reference} by \\d{1,2} \\w{3} \\d{4}, \\d{2}:\\d{2}$`), 'the override, at once in this process')

  const unknown = await put('complaint_logged', 'zh-CN', { subject: '{{reference}}', text: '{{reference}} {{orderNumber}}' })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'validation_failed')
  t.match(unknown.json().errors, [{ field: 'body.text', message: /unknown placeholder \{\{orderNumber\}\}.*known: \{\{reference\}\}/ }])
  const inSubject = await put('complaint_logged', 'zh-CN', { subject: '{{ref}}', text: '{{reference}}' })
  t.match(inSubject.json().errors, [{ field: 'body.subject', message: /\{\{ref\}\}/ }])
  const noReference = await put('complaint_resolved', 'en', { subject: 'Done', text: 'Your complaint is resolved: {{summary}}' })
  t.equal(noReference.statusCode, 400)
  t.match(noReference.json().errors, [{ field: 'body.text', message: /must contain \{\{reference\}\}/ }])
  t.equal((await put('complaint_closed', 'en', { subject: 'x', text: '{{reference}}' })).statusCode, 400, 'an unknown kind')
  t.equal((await put('complaint_logged', 'fr', { subject: 'x', text: '{{reference}}' })).statusCode, 400, 'an unknown language')

  t.equal((await put('complaint_logged', 'en', { subject: 'x', text: '{{reference}}', extra: 1 })).statusCode, 400, 'an unknown field')
  t.equal((await put('complaint_logged', 'en', { subject: '', text: '{{reference}}' })).statusCode, 400, 'an empty subject')
  t.equal((await put('complaint_logged', 'en', { subject: 'x', text: '{{reference}}' }, agent)).statusCode, 403, 'admins only')
  t.equal((await call('GET', '/v1/notification-templates', agent)).statusCode, 403)
  const unchanged = (await call('GET', '/v1/notification-templates', admin)).json().items
  t.same(unchanged, after, 'refusals change nothing')

  // What GET answered goes back as it is: the read-only fields are ignored, a kind or language not the path's refused.
  const answered = (await call('GET', '/v1/notification-templates', admin)).json().items
    .find((i: { kind: string; language: string }) => i.kind === 'promise_missed' && i.language === 'zh-CN')
  const roundTrip = await put('promise_missed', 'zh-CN', { ...answered, subject: `${answered.subject}!` })
  t.equal(roundTrip.statusCode, 200, roundTrip.body)
  t.match(roundTrip.json(), { custom: true, subject: `${answered.subject}!` })
  const elsewhere = await put('promise_missed', 'en', answered)
  t.equal(elsewhere.statusCode, 400)
  t.match(elsewhere.json().errors, [{ field: 'body.language', message: /not the language in the path/ }])
})

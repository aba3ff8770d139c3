import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { formatTime } from '../../src/notifications/format.js'
import { KIND_OF_HISTORY } from '../../src/notifications/kinds.js'
import { maskEmail, maskPhone, scrubbed } from '../../src/notifications/mask.js'
import { planNotifications, type NotificationInput } from '../../src/notifications/plan.js'
import type { NotifyContext } from '../../src/notifications/settings.js'
import { DEFAULT_TEMPLATES, templateErrors } from '../../src/notifications/templates.js'
import { DEFAULT_POLICY } from '../../src/sla/policy.js'

const BOTH: NotifyContext = { channels: ['email', 'sms'], defaultLanguage: 'zh-CN', templates: new Map() }
const AT = new Date('2026-11-28T01:00:00Z')

/** A transition's result as planCommand hands it over, made up: no route produces some history types yet. */
function input(overrides: Partial<NotificationInput> = {}): NotificationInput {
  return {
    complaint: {
      id: '00000000-0000-4000-8000-000000000001', reference: 'C-20261128-000001', summary: 'Kettle lid cracked',
      promisedBy: new Date('2026-11-30T10:30:00Z'), resolution: null, team: null, extension: null,
    },
    customer: { name: 'Li Wei', email: 'li.wei@example.com', phone: '+8613800138000', language: 'en', notify: true },
    seq: 5,
    historyType: 'complaint.logged',
    data: {},
    at: AT,
    policy: { ...DEFAULT_POLICY, calendar: { ...DEFAULT_POLICY.calendar, timezone: 'Asia/Shanghai' } },
    ...overrides,
  }
}

t.test('each kind comes from one history type; others tell the customer nothing', async (t) => {
  t.same(KIND_OF_HISTORY, {
    'complaint.logged': 'complaint_logged',
    'promise.extended': 'promise_extended',
    'deadline.response_missed': 'promise_missed',
    'complaint.resolved': 'complaint_resolved',
    'complaint.awaiting_reminder': 'awaiting_reminder',
  })
  for (const type of ['complaint.received', 'complaint.escalated', 'deadline.warning', 'follow_up.recorded']) {
    t.same(planNotifications(BOTH, input({ historyType: type })), [], type)
  }
})

t.test('a logged complaint: one message per configured channel with an address, in the customer\'s language and the calendar zone', async (t) => {
  const rows = planNotifications(BOTH, input())
  t.same(rows.map((r) => [r.channel, r.recipient, r.kind, r.language, r.seq]), [
    ['email', 'li.wei@example.com', 'complaint_logged', 'en', 5],
    ['sms', '+8613800138000', 'complaint_logged', 'en', 5],
  ])
  t.equal(rows[0]!.subject, 'We have logged your complaint (C-20261128-000001)')
  t.equal(rows[0]!.body, 'Dear Li Wei, your complaint is logged as C-20261128-000001. We will answer you by 30 Nov 2026, 18:30.')
  t.equal(rows[1]!.subject, null, 'an SMS has no subject')
  t.equal(rows[1]!.body, rows[0]!.body)
  t.not(rows[0]!.id, rows[1]!.id, 'each message its own id')

  const zh = planNotifications(BOTH, input({ customer: { ...input().customer!, language: null, name: null } }))
  t.equal(zh[0]!.language, 'zh-CN', 'no language of its own: DEFAULT_LANGUAGE')
  t.equal(zh[0]!.body, '客户，您好：您的投诉已受理，编号 C-20261128-000001。我们将在 2026年11月30日 18:30 前答复您。')
  const en = planNotifications({ ...BOTH, defaultLanguage: 'en' }, input({ customer: { ...input().customer!, language: null } }))
  t.equal(en[0]!.language, 'en', 'DEFAULT_LANGUAGE=en')
})

t.test('a team calendar\'s zone is the complaint\'s', async (t) => {
  const base = input()
  const policy = { ...base.policy, teamCalendars: { ny: { ...base.policy.calendar, timezone: 'America/New_York' } } }
  const [row] = planNotifications(BOTH, { ...base, policy, complaint: { ...base.complaint, team: 'ny' } })
  t.match(row!.body, /30 Nov 2026, 05:30\.$/)
})

t.test('silence, missing addresses and missing channels', async (t) => {
  t.same(planNotifications(BOTH, input({ customer: { ...input().customer!, notify: false } })), [], 'notify: false')
  t.same(planNotifications(undefined, input()), [], 'no notification context')
  t.same(planNotifications({ ...BOTH, channels: [] }, input()), [], 'no channel configured')
  t.same(planNotifications(BOTH, input({ customer: undefined })), [], 'no customer at hand')
  t.same(planNotifications(BOTH, input({ customer: { ...input().customer!, email: null } })).map((r) => r.channel), ['sms'])
  t.same(planNotifications({ ...BOTH, channels: ['email'] }, input({ customer: { ...input().customer!, email: null } })), [])
})

t.test('promise_extended and awaiting_reminder work from their history types (planned from synthetic transitions)', async (t) => {
  const extended = planNotifications(BOTH, input({
    historyType: 'promise.extended',
    data: { until: '2026-12-02T02:00:00.000Z', reason: 'waiting for the courier' },
    complaint: { ...input().complaint, promisedBy: new Date('2026-12-02T02:00:00Z') },
  }))
  t.equal(extended[0]!.kind, 'promise_extended')
  t.equal(extended[0]!.body, 'Dear Li Wei, we need more time for your complaint C-20261128-000001 (waiting for the courier). ' +
    'We will answer you by 2 Dec 2026, 10:00.')
  const reminder = planNotifications(BOTH, input({ historyType: 'complaint.awaiting_reminder', customer: { ...input().customer!, language: 'zh-CN' } }))
  t.equal(reminder[0]!.kind, 'awaiting_reminder')
  t.equal(reminder[0]!.body, 'Li Wei，您好：关于投诉 C-20261128-000001，我们还在等您的回复，请与我们联系。')
  const missed = planNotifications(BOTH, input({ historyType: 'deadline.response_missed' }))
  t.equal(missed[0]!.kind, 'promise_missed')
  t.match(missed[0]!.body, /sorry.*C-20261128-000001.*senior colleague/)
  t.equal(planNotifications(BOTH, input({ historyType: 'deadline.response_missed', data: { kind: 'response' } })).length, 2,
    'the promise to the customer missed')
  t.same(planNotifications(BOTH, input({ historyType: 'deadline.response_missed', data: { kind: 'escalation_response' } })), [],
    "a supervisor's own deadline missed: the customer was promised nothing by it")
  const approved = planNotifications(BOTH, input({
    historyType: 'promise.extended',
    data: { approve: true, note: 'internal note' },
    complaint: { ...input().complaint, extension: { status: 'approved', until: '2026-12-02T02:00:00.000Z', reason: 'the part is late',
      requestedBy: null, requestedAt: AT.toISOString(), decidedBy: null, decidedAt: AT.toISOString(), note: 'internal note' } },
  }))
  t.match(approved[0]!.body, /\(the part is late\)/, "an approval's message gives the request's reason, never the supervisor's note")
  const resolved = planNotifications(BOTH, input({
    historyType: 'complaint.resolved',
    complaint: { ...input().complaint, resolution: { mode: 'on_the_spot', summary: 'Replacement lid sent', compensation: null, resolvedBy: null, resolvedAt: AT.toISOString() } },
  }))
  t.equal(resolved[0]!.body, 'Dear Li Wei, your complaint C-20261128-000001 is resolved: Replacement lid sent. Thank you for your patience.')
})

t.test('an override replaces the shipped template', async (t) => {
  const templates = new Map([['complaint_logged/en', { subject: 'Ref {{reference}}', text: '{{reference}} by {{ promisedBy }}', updatedAt: AT }]])
  const [row] = planNotifications({ ...BOTH, templates }, input())
  t.equal(row!.subject, 'Ref C-20261128-000001')
  t.equal(row!.body, 'C-20261128-000001 by 30 Nov 2026, 18:30')
})

t.test('times in both languages', async (t) => {
  t.equal(formatTime(new Date('2026-11-30T10:30:00Z'), 'Asia/Shanghai', 'zh-CN'), '2026年11月30日 18:30')
  t.equal(formatTime(new Date('2026-11-30T10:30:00Z'), 'Asia/Shanghai', 'en'), '30 Nov 2026, 18:30')
  t.equal(formatTime(new Date('2026-09-03T23:05:00Z'), 'UTC', 'en'), '3 Sep 2026, 23:05', 'September is Sep whatever the ICU data')
  t.equal(formatTime(new Date('2026-12-31T16:00:00Z'), 'Asia/Shanghai', 'zh-CN'), '2027年1月1日 00:00', 'the zone moves the day')
})

t.test('masks', async (t) => {
  t.equal(maskEmail('li.wei@example.com'), 'l***@example.com')
  t.equal(maskPhone('+8613800138000'), '+86 138****8000')
  t.equal(maskPhone('+14155550123'), '+1 415****0123')
  t.equal(scrubbed('550 <li.wei@example.com> unknown', 'email', 'li.wei@example.com'), '550 <l***@example.com> unknown')
})

t.test('every shipped template passes the checks an override must pass', async (t) => {
  for (const [kind, byLanguage] of Object.entries(DEFAULT_TEMPLATES)) {
    for (const [language, template] of Object.entries(byLanguage)) t.same(templateErrors(template), [], `${kind}/${language}`)
  }
  t.same(templateErrors({ subject: '{{nope}}', text: 'x' }).map((e) => e.field), ['body.subject', 'body.text'])
})

t.test('configuration: a bad value stops the process naming the variable', async (t) => {
  const ok = loadConfig({ SMTP_URL: 'smtps://user:pass@mail.example.com:465', SMS_WEBHOOK_URL: 'https://sms.example.com/send',
    SMS_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=', DEFAULT_LANGUAGE: 'en', NOTIFY_FROM: 'Care <care@example.com>' })
  t.equal(ok.DEFAULT_LANGUAGE, 'en')
  const defaults = loadConfig({})
  t.equal(defaults.DEFAULT_LANGUAGE, 'zh-CN')
  t.equal(defaults.NOTIFY_FROM, 'Hotline <no-reply@localhost>')
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env)
      return ''
    } catch (error) {
      t.type(error, ConfigError)
      return (error as Error).message
    }
  }
  t.match(refusal({ SMTP_URL: 'http://mail.example.com' }), /SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/)
  t.notMatch(refusal({ SMTP_URL: 'smtp://user:secret@' + 'x'.repeat(3) + ' bad' }), /secret/, 'a URL is never echoed')
  t.match(refusal({ SMS_WEBHOOK_URL: 'https://sms.example.com' }), /SMS_WEBHOOK_SECRET must be/)
  t.match(refusal({ SMS_WEBHOOK_URL: 'https://sms.example.com', SMS_WEBHOOK_SECRET: 'secret' }), /SMS_WEBHOOK_SECRET/)
  t.match(refusal({ SMS_WEBHOOK_URL: 'ftp://sms.example.com', SMS_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' }), /SMS_WEBHOOK_URL/)
  t.match(refusal({ DEFAULT_LANGUAGE: 'fr' }), /DEFAULT_LANGUAGE="fr" must be zh-CN or en/)
  t.match(refusal({ NOTIFY_FROM: 'nobody' }), /NOTIFY_FROM="nobody" must be an email sender/)
})

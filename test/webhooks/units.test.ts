import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { AddressPolicy } from '../../src/webhooks/address-policy.js'
import { deliveryJobId } from '../../src/webhooks/delivery-queue.js'
import { EVENT_TYPES } from '../../src/webhooks/events.js'
import { postWebhook } from '../../src/webhooks/http-client.js'
import { nextAttemptAt, retryDelayMs } from '../../src/webhooks/retry.js'
import { webhookSettings } from '../../src/webhooks/settings.js'

t.test('the retry schedule: exponential, capped, jittered, about a day by default', async (t) => {
  const settings = webhookSettings({})
  const middle = () => 0.5
  const delays = Array.from({ length: 20 }, (_, i) => retryDelayMs(i + 1, settings, middle))
  t.same(delays.slice(0, 4), [10_000, 20_000, 40_000, 80_000], 'doubling from 10 s')
  t.equal(Math.max(...delays), 4 * 3_600_000, 'capped at 4 h')
  t.equal(retryDelayMs(1, settings, () => 0), 8_000, '-20 %')
  t.equal(retryDelayMs(1, settings, () => 1), 12_000, '+20 %')
  // Walk the schedule: how many attempts fit in the retry window, and when the last one goes.
  const start = new Date('2026-11-22T00:00:00Z')
  let now = start
  let attempts = 1
  for (;;) {
    const next = nextAttemptAt(attempts, start, now, settings, middle)
    if (!next) break
    now = next
    attempts++
  }
  const hours = (now.getTime() - start.getTime()) / 3_600_000
  t.ok(attempts >= 12 && attempts <= 20, `${attempts} attempts`)
  t.ok(hours > 20 && hours <= 24, `the last one after ${hours.toFixed(1)} h`)
})

t.test('the webhook variables are read, converted and checked', async (t) => {
  const config = loadConfig({
    WEBHOOK_ALLOWED_HOSTS: ' 127.0.0.1, hooks.internal ,10.0.0.0/8,::1', WEBHOOK_RETRY_BASE: 'PT0.5S', WEBHOOK_SECRET_GRACE: 'P2D',
    WEBHOOK_RATE_LIMIT: '30', WEBHOOK_TIMEOUT_MS: '5000',
  })
  t.match(config, { WEBHOOK_RETRY_BASE_MS: 500, WEBHOOK_SECRET_GRACE_MS: 2 * 86_400_000, WEBHOOK_RATE_LIMIT: 30, WEBHOOK_TIMEOUT_MS: 5_000 })
  t.match(loadConfig({}), { WEBHOOK_RETRY_FOR_MS: 86_400_000, WEBHOOK_RETRY_MAX_DELAY_MS: 4 * 3_600_000, WEBHOOK_BODY_LIMIT_BYTES: 65_536, WEBHOOK_ALLOWED_HOSTS: undefined })
  t.notOk('WEBHOOK_RETRY_FOR' in config, 'durations are given in milliseconds only')
  for (const [variable, value] of [
    ['WEBHOOK_ALLOWED_HOSTS', '10.0.0.0/33'], ['WEBHOOK_ALLOWED_HOSTS', 'a b'], ['WEBHOOK_ALLOWED_HOSTS', 'x/8'],
    ['WEBHOOK_RETRY_FOR', 'a day'], ['WEBHOOK_RETRY_BASE', 'PT0S'], ['WEBHOOK_RATE_LIMIT', '0'], ['WEBHOOK_TIMEOUT_MS', '1.5'],
  ] as const) {
    let error: unknown
    try {
      loadConfig({ [variable]: value })
    } catch (e) {
      error = e
    }
    t.type(error, ConfigError, `${variable}=${value}`)
    t.match((error as Error).message, variable)
  }
})

t.test('the address policy', async (t) => {
  const none = new AddressPolicy()
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::7f00:1', '::ffff:10.0.0.1', '224.0.0.1', '64:ff9b::a00:1']) {
    t.notOk(none.allowsAddress(address), `${address} refused`)
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) t.ok(none.allowsAddress(address), `${address} allowed`)
  const some = new AddressPolicy(['10.0.0.0/8', '127.0.0.1', 'hooks.internal'])
  t.ok(some.allowsAddress('10.200.0.1'))
  t.ok(some.allowsAddress('127.0.0.1'))
  t.notOk(some.allowsAddress('127.0.0.2'))
  t.ok(some.allowsHostName('HOOKS.internal'))
  t.ok(none.refusal(new URL('http://[::ffff:127.0.0.1]/')), 'a mapped loopback, however the URL writes it')
  t.ok(some.allowsAddress('::ffff:7f00:1'), 'the allow-list applies to the address it maps')
  t.equal(none.refusal(new URL('http://[::1]:80/')), 'points at a private, loopback or reserved address that WEBHOOK_ALLOWED_HOSTS does not name')
  t.equal(none.refusal(new URL('https://example.com/x')), undefined)
  t.match(none.refusal(new URL('file:///etc/passwd')), /http or https/)

  const refused = await postWebhook('http://localhost:9/x', '{}', {}, { timeoutMs: 1_000, policy: none })
  t.match(refused, { statusCode: null, error: /localhost resolves to .* not allowed/ }, 'a name is checked on what it resolves to')
  t.match(await postWebhook('not a url', '{}', {}, { timeoutMs: 1_000, policy: none }), { error: /invalid/ })
  t.match(await postWebhook('http://127.0.0.1:9/x', '{}', {}, { timeoutMs: 1_000, policy: none }), { error: /private, loopback/ })
  const closedPort = await postWebhook('http://127.0.0.1:9/x', '{}', {}, { timeoutMs: 1_000, policy: new AddressPolicy(['127.0.0.1']) })
  t.match(closedPort, { statusCode: null, error: /ECONNREFUSED/ }, 'a connection error is an attempt that failed')
})

t.test('event types come from the machine; job ids never hold a colon', async (t) => {
  for (const type of ['complaint.received', 'complaint.logged', 'complaint.escalated', 'complaint.resolved', 'complaint.closed',
    'deadline.warning', 'escalation.assigned', 'follow_up.due']) {
    t.ok(EVENT_TYPES.includes(type), type)
  }
  const id = deliveryJobId({ deliveryId: '6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a', attempts: 2, tag: 'after-x' })
  t.equal(id, '6b0f7a5e-58a4-4f7c-9a55-0e6f2f3c1d2a.2.after-x')
  t.notMatch(id, /:/)
})

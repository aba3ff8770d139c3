import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { simpleParser } from 'mailparser'
import { SMTPServer, type SMTPServerSession } from 'smtp-server'
import { Webhook } from 'standardwebhooks'
import type { Test } from 'tap'
import { commitPipeline } from '../../src/commit-pipeline.js'
import type { Config } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { NotificationSender } from '../../src/notifications/send.js'
import { notifySettings, type NotifyConfig } from '../../src/notifications/settings.js'
import { startTimerWorkers } from '../../src/timers/timer.worker.js'
import { DeliveryQueue } from '../../src/webhooks/delivery-queue.js'
import { startDeliveryWorker } from '../../src/webhooks/delivery.worker.js'
import { webhookSettings, type WebhookSettings } from '../../src/webhooks/settings.js'
import { startSweepLoop } from '../../src/webhooks/sweep.js'
import { REDIS_URL, setupApp, type TestApp } from '../helpers/app.js'

export const SMS_SECRET = `whsec_${Buffer.from('notification-test-secret-0123456789').toString('base64')}`

/** Retries in fractions of a second: what these tests run with. */
export const FAST: Partial<WebhookSettings> = {
  WEBHOOK_TIMEOUT_MS: 2_000,
  WEBHOOK_RETRY_BASE_MS: 150,
  WEBHOOK_RETRY_MAX_DELAY_MS: 600,
  WEBHOOK_RETRY_FOR_MS: 60_000,
}

export interface Mail {
  messageId: string
  from: string
  to: string[]
  subject: string
  text: string
  user: string | undefined
}

export type SmtpAnswer = 'ok' | 'hang' | { code: number; message: string }

/**
 * A real SMTP server on loopback (smtp-server), without TLS. `answer` decides each message's fate by its Message-ID
 * and how many times that id arrived: accept, never answer, or refuse with a code. With `auth`, the client must log in.
 */
export async function startSmtp(t: Test, options: { answer?: (messageId: string, attempt: number) => SmtpAnswer; auth?: { user: string; pass: string } } = {}) {
  const received: Mail[] = []
  const attempts = new Map<string, number>()
  const server = new SMTPServer({
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    logger: false,
    onAuth: (auth, _session, callback) => {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) callback(null, { user: auth.username })
      else callback(new Error('invalid credentials'))
    },
    onData: (stream, session: SMTPServerSession, callback) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', async () => {
        const parsed = await simpleParser(Buffer.concat(chunks))
        const messageId = parsed.messageId ?? ''
        const attempt = (attempts.get(messageId) ?? 0) + 1
        attempts.set(messageId, attempt)
        const answer = options.answer?.(messageId, attempt) ?? 'ok'
        if (answer === 'hang') return
        if (answer !== 'ok') return callback(Object.assign(new Error(answer.message), { responseCode: answer.code }))
        received.push({
          messageId,
          from: parsed.from?.text ?? '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: parsed.subject ?? '',
          text: (parsed.text ?? '').trim(),
          user: typeof session.user === 'string' ? session.user : undefined,
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.server.address() as AddressInfo
  const credentials = options.auth ? `${options.auth.user}:${options.auth.pass}@` : ''
  return { url: `smtp://${credentials}127.0.0.1:${port}`, received, attempts }
}

export interface Sms {
  webhookId: string
  verified: boolean
  body: { to: string; text: string; complaintId: string; kind: string }
  answered: number
}

/** An SMS gateway on loopback: verifies every request's Standard Webhooks signature; `answer` decides the status. */
export async function startGateway(t: Test, options: { answer?: (sms: Sms, attempt: number) => number | 'hang' } = {}) {
  const received: Sms[] = []
  const attempts = new Map<string, number>()
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const headers = request.headers as IncomingHttpHeaders & Record<string, string>
      let verified = false
      try {
        new Webhook(SMS_SECRET).verify(raw, headers)
        verified = true
      } catch {
        // answered 401 below
      }
      const sms: Sms = { webhookId: headers['webhook-id'] ?? '', verified, body: JSON.parse(raw), answered: 0 }
      const attempt = (attempts.get(sms.webhookId) ?? 0) + 1
      attempts.set(sms.webhookId, attempt)
      received.push(sms)
      const status = options.answer?.(sms, attempt) ?? (verified ? 200 : 401)
      if (status === 'hang') return
      sms.answered = status
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'queued' : `refused ${sms.body.to}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/sms`, received, accepted: () => received.filter((s) => s.answered >= 200 && s.answered < 300) }
}

/** The app with these channels, and a log sink the tests read. */
export async function setupNotifyApp(t: Test, config: NotifyConfig, options: { logLevel?: string } = {}): Promise<TestApp> {
  return setupApp(t, { config, logLevel: options.logLevel ?? 'debug' })
}

/**
 * The worker's part, in this process: the delivery worker with the notification sender, its sweep, and the timer
 * workers (a missed deadline's apology); its log lines go to `logs`.
 */
export function startNotifyWorker(t: Test, testApp: TestApp, config: NotifyConfig, settings: Partial<WebhookSettings> = FAST) {
  const logs: string[] = []
  const logger = createLogger('debug', new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk))
      done()
    },
  }))
  const queue = new DeliveryQueue(testApp.redis, testApp.prefix)
  const full = webhookSettings(settings)
  const sender = new NotificationSender(config, testApp.db, full)
  const worker = startDeliveryWorker({
    db: testApp.db, queue, redisUrl: REDIS_URL, concurrency: 8, lockDuration: 5_000, settings: full, logger, notifications: sender,
  })
  const sweep = startSweepLoop({ db: testApp.db, queue, redis: testApp.redis, everyMs: 500, logger })
  const pipeline = commitPipeline(testApp.redis, testApp.prefix, { deliveries: queue })
  const timers = startTimerWorkers({
    db: testApp.db, redisUrl: REDIS_URL, prefix: testApp.prefix, concurrency: 8, lockDuration: 5_000, logger,
    afterCommit: pipeline.afterCommit, notify: notifySettings(config as Partial<Config>),
  })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await sweep.close()
    await Promise.all([worker.close(), timers.close()])
    await pipeline.close()
    await queue.close()
    sender.close()
  }
  t.teardown(close)
  return { logs, close, sender }
}

export async function notificationsOf(testApp: TestApp, complaintId: string) {
  return testApp.db.selectFrom('notifications').selectAll().where('complaintId', '=', complaintId).orderBy('createdAt').orderBy('channel').execute()
}

import nodemailer, { type Transporter } from 'nodemailer'
import type { Db } from '../db/database.js'
import { AddressPolicy } from '../webhooks/address-policy.js'
import { signedHeaders } from '../webhooks/deliver.js'
import type { DeliveryWake } from '../webhooks/delivery-queue.js'
import { postWebhook } from '../webhooks/http-client.js'
import { nextAttemptAt } from '../webhooks/retry.js'
import { leaseMs, type WebhookSettings } from '../webhooks/settings.js'
import { claimNotification, settleNotification, type ClaimedNotification } from './notifications.repository.js'
import { scrubbed } from './mask.js'
import { DEFAULT_FROM, type NotifyConfig } from './settings.js'

export type NotificationOutcome = 'sent' | 'retrying' | 'failed'

interface Attempt {
  error: string | null
  /** Trying again cannot help (an SMTP server's permanent refusal, 5xx). */
  permanent?: boolean
}

const KEEP_ERROR = 500

/** The domain of the sender's address: the Message-ID's right-hand side. */
function senderDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost'
}

/**
 * Sends messages to customers: email over SMTP (nodemailer), SMS as a Standard Webhooks-signed POST to a gateway. An
 * attempt's ids derive from the message's id (the email's Message-ID, the SMS's webhook-id), so the one repeat a
 * crash between sending and recording can cause is recognisable to the receiver.
 */
export class NotificationSender {
  readonly #mail: Transporter | undefined
  readonly #from: string
  readonly #domain: string
  readonly #sms: { url: string; secret: string; policy: AddressPolicy } | undefined

  constructor(config: NotifyConfig, private readonly db: Db, private readonly settings: WebhookSettings) {
    const timeout = settings.WEBHOOK_TIMEOUT_MS
    this.#mail = config.SMTP_URL
      ? nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout })
      : undefined
    this.#from = config.NOTIFY_FROM ?? DEFAULT_FROM
    this.#domain = senderDomain(this.#from)
    // The operator named the gateway: its host is allowed even on a private network, unlike a webhook endpoint's.
    this.#sms = config.SMS_WEBHOOK_URL && config.SMS_WEBHOOK_SECRET
      ? { url: config.SMS_WEBHOOK_URL, secret: config.SMS_WEBHOOK_SECRET, policy: new AddressPolicy([new URL(config.SMS_WEBHOOK_URL).hostname.replace(/^\[|\]$/g, '')]) }
      : undefined
  }

  messageId(notificationId: string): string {
    return `<${notificationId}@${this.#domain}>`
  }

  claim(id: string): Promise<ClaimedNotification | undefined> {
    return claimNotification(this.db, id, leaseMs(this.settings))
  }

  /** One attempt at a claimed message, recorded; answers its retry's wake-up when there is one. */
  async sendClaimed(claimed: ClaimedNotification): Promise<{ outcome: NotificationOutcome; wakes: DeliveryWake[] }> {
    const attempt = await this.#attempt(claimed)
    if (attempt.error === null) {
      await settleNotification(this.db, claimed, { status: 'sent', lastError: null })
      return { outcome: 'sent', wakes: [] }
    }
    const lastError = scrubbed(attempt.error, claimed.channel, claimed.recipient).slice(0, KEEP_ERROR)
    const retryAt = attempt.permanent ? null : nextAttemptAt(claimed.attempts, claimed.retrySince, new Date(), this.settings)
    if (!retryAt) {
      await settleNotification(this.db, claimed, { status: 'failed', lastError })
      return { outcome: 'failed', wakes: [] }
    }
    await settleNotification(this.db, claimed, { nextAttemptAt: retryAt, lastError })
    return { outcome: 'retrying', wakes: [{ deliveryId: claimed.id, attempts: claimed.attempts, dueAt: retryAt, notification: true }] }
  }

  async #attempt(claimed: ClaimedNotification): Promise<Attempt> {
    if (claimed.channel === 'email') {
      if (!this.#mail) return { error: 'email is not configured here (SMTP_URL is unset)' }
      return this.#email(this.#mail, claimed)
    }
    if (!this.#sms) return { error: 'SMS is not configured here (SMS_WEBHOOK_URL is unset)' }
    const body = JSON.stringify({ to: claimed.recipient, text: claimed.body, complaintId: claimed.complaintId, kind: claimed.kind })
    const result = await postWebhook(this.#sms.url, body, signedHeaders(this.#sms.secret, claimed.id, body, new Date()), {
      timeoutMs: this.settings.WEBHOOK_TIMEOUT_MS,
      policy: this.#sms.policy,
    })
    if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) return { error: null }
    return { error: result.error ?? `the SMS gateway answered ${result.statusCode}` }
  }

  async #email(mail: Transporter, claimed: ClaimedNotification): Promise<Attempt> {
    const timeout = this.settings.WEBHOOK_TIMEOUT_MS
    let timer: NodeJS.Timeout | undefined
    try {
      // nodemailer's own timeouts bound each step; this bounds the whole exchange within the claim's lease.
      await Promise.race([
        mail.sendMail({
          from: this.#from,
          to: claimed.recipient,
          subject: claimed.subject ?? '',
          text: claimed.body,
          messageId: this.messageId(claimed.id),
          headers: { 'X-Hotline-Notification': claimed.id },
        }),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from the SMTP server within ${timeout} ms`)), timeout)
        }),
      ])
      return { error: null }
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode
      return { error: (error as Error).message || String(error), permanent: code !== undefined && code >= 500 }
    } finally {
      clearTimeout(timer)
    }
  }

  close(): void {
    this.#mail?.close()
  }
}

import type { IncomingHttpHeaders } from 'node:http'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import { newWebhookSecret } from '../auth/tokens.js'
import type { Db } from '../db/database.js'
import type { UserRow } from '../db/tables.js'
import { Problem, problems } from '../http/problem.js'

/** An active integration and every secret it may sign with now: the current one and those still in their grace. */
export async function findIntegration(db: Db, id: string): Promise<{ user: UserRow; secrets: string[] } | undefined> {
  const user = await db.selectFrom('users').selectAll().where('id', '=', id).where('role', '=', 'integration')
    .where('active', '=', true).executeTakeFirst()
  if (!user) return undefined
  const previous = await db.selectFrom('webhookPreviousSecrets').select('secret').where('userId', '=', id)
    .where('validUntil', '>', new Date()).orderBy('validUntil', 'desc').execute()
  return { user, secrets: [user.webhookSecret, ...previous.map((p) => p.secret)].filter((s): s is string => !!s) }
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name]
  return Array.isArray(value) ? value.join(' ') : value
}

/**
 * Checks a Standard Webhooks signature over the exact raw body with each secret the integration may use. Throws
 * invalid_signature saying which check failed: missing headers, a timestamp more than 5 minutes off, or no match.
 */
export function verifySignature(raw: string, headers: IncomingHttpHeaders, secrets: string[]): void {
  const given = {
    'webhook-id': header(headers, 'webhook-id') ?? '',
    'webhook-timestamp': header(headers, 'webhook-timestamp') ?? '',
    'webhook-signature': header(headers, 'webhook-signature') ?? '',
  }
  if (!given['webhook-id'] || !given['webhook-timestamp'] || !given['webhook-signature']) {
    throw new Problem('invalid_signature', 'send the webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks)')
  }
  if (!/^\d{1,12}$/.test(given['webhook-timestamp'])) {
    throw new Problem('invalid_signature', 'webhook-timestamp must be whole Unix seconds')
  }
  let reason = 'no secret of this integration was set'
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(raw, given, { jsonParse: false })
      return
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error
      reason = error.message
    }
  }
  if (/timestamp/i.test(reason)) {
    throw new Problem('invalid_signature', 'webhook-timestamp is more than 5 minutes away from our clock: sign again with the current time')
  }
  throw new Problem('invalid_signature', "no signature matches the integration's secret over the exact request body")
}

/** Gives the integration a new intake secret; the old one stays valid for `graceMs`. */
export async function rotateIntakeSecret(db: Db, userId: string, graceMs: number): Promise<{ webhookSecret: string; previousSecretValidUntil: Date }> {
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'role', 'webhookSecret']).where('id', '=', userId).forUpdate().executeTakeFirst()
    if (!user) throw problems.notFound('user')
    if (user.role !== 'integration') throw new Problem('conflict', 'only integrations have a webhook secret')
    const now = new Date()
    const validUntil = new Date(now.getTime() + graceMs)
    await trx.deleteFrom('webhookPreviousSecrets').where('userId', '=', userId).where('validUntil', '<=', now).execute()
    if (user.webhookSecret) {
      await trx.insertInto('webhookPreviousSecrets').values({ userId, secret: user.webhookSecret, validUntil })
        .onConflict((oc) => oc.columns(['userId', 'secret']).doUpdateSet({ validUntil })).execute()
    }
    const webhookSecret = newWebhookSecret()
    await trx.updateTable('users').set({ webhookSecret, updatedAt: now }).where('id', '=', userId).execute()
    return { webhookSecret, previousSecretValidUntil: validUntil }
  })
}

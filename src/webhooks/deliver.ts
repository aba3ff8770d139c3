import { Webhook } from 'standardwebhooks'
import { cachesOf } from '../cache/caches.js'
import type { Db } from '../db/database.js'
import type { AddressPolicy } from './address-policy.js'
import { claimDelivery, disableEndpoint, nextInLine, type ClaimedDelivery } from './deliveries.repository.js'
import type { DeliveryWake } from './delivery-queue.js'
import { postWebhook, type PostResult } from './http-client.js'
import { nextAttemptAt } from './retry.js'
import { leaseMs, type WebhookSettings } from './settings.js'
import { currentTrace, inSpan } from '../tracing/context.js'

export type DeliveryOutcome = 'skipped' | 'delivered' | 'retrying' | 'failed'

export interface DeliverDeps {
  db: Db
  settings: WebhookSettings
  policy: AddressPolicy
  /** The time an attempt is recorded at and the retry window judged by (tests move it); signatures use the real time. */
  clock?: () => Date
}

/** The Standard Webhooks headers for one attempt: the id stays the same across attempts, the timestamp is now. */
export function signedHeaders(secret: string, webhookId: string, payload: string, at: Date): Record<string, string> {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(webhookId, at, payload),
  }
}

/**
 * One attempt at one delivery: claim, send, record. Answers what happened and which deliveries to wake next (its own
 * retry, or the next event on its line once this one is settled), for the caller to enqueue after the commit.
 */
export async function deliverOnce(deps: DeliverDeps, deliveryId: string): Promise<{ outcome: DeliveryOutcome; wakes: DeliveryWake[] }> {
  const claimed = await claimDelivery(deps.db, deliveryId, leaseMs(deps.settings))
  if (!claimed) return { outcome: 'skipped', wakes: [] }
  return sendClaimed(deps, claimed)
}

/** The second half of an attempt, once claimed: the request, then its record. The claim's lease covers it. */
export async function sendClaimed(deps: DeliverDeps, claimed: ClaimedDelivery): Promise<{ outcome: Exclude<DeliveryOutcome, 'skipped'>; wakes: DeliveryWake[] }> {
  // Traced, the request is a client span in the trace of the transition that wrote the event (linked to the job that
  // sent it, which may be a retry, the previous event on the line or the sweep), or of that job when the event kept
  // no context; the receiver gets the span's traceparent and tracestate.
  const written = claimed.traceparent ? { traceparent: claimed.traceparent, ...(claimed.tracestate ? { tracestate: claimed.tracestate } : {}) } : undefined
  const span = { kind: 'client' as const, attributes: { 'hotline.delivery.id': claimed.id }, ...(written ? { detached: { parent: written, links: [currentTrace()] } } : {}) }
  const result = await inSpan('webhook send', span, () =>
    postWebhook(claimed.url, claimed.payload, { ...signedHeaders(claimed.secret, claimed.eventId, claimed.payload, new Date()), ...currentTrace() }, {
      timeoutMs: deps.settings.WEBHOOK_TIMEOUT_MS,
      policy: deps.policy,
    }))
  const settled = await recordAttempt(deps, claimed, result)
  if (settled.outcome === 'retrying') {
    return { outcome: 'retrying', wakes: [{ deliveryId: claimed.id, attempts: claimed.attempts, dueAt: settled.retryAt!, failing: true }] }
  }
  const next = await nextInLine(deps.db, claimed)
  const failing = settled.outcome !== 'delivered'
  const wakes = next ? [{ deliveryId: next.id, attempts: next.attempts, dueAt: next.nextAttemptAt, tag: `after-${claimed.id}`, failing }] : []
  return { outcome: settled.outcome, wakes }
}

const succeeded = (result: PostResult) => result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300

/** Records an attempt and settles the delivery and its endpoint's health, in one transaction. */
async function recordAttempt(deps: DeliverDeps, claimed: ClaimedDelivery, result: PostResult) {
  const { settings } = deps
  // The endpoint turned failing, healthy again, or disabled: what the outbox reads of it changed.
  let endpointChanged = false
  const settled = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock?.() ?? new Date()
    await trx
      .updateTable('webhookAttempts')
      .set({ finishedAt: now, durationMs: result.durationMs, statusCode: result.statusCode, error: result.error, responseBody: result.responseBody })
      .where('deliveryId', '=', claimed.id)
      .where('n', '=', claimed.attempts)
      .execute()
    // `attempts` guards against a worker whose lease ran out while it waited: the delivery is someone else's now.
    const settle = (patch: { status: 'delivered' | 'failed' } | { nextAttemptAt: Date }) =>
      trx
        .updateTable('webhookDeliveries')
        .set({ ...patch, ...('status' in patch ? { finishedAt: now } : {}), leaseUntil: null, updatedAt: now })
        .where('id', '=', claimed.id)
        .where('attempts', '=', claimed.attempts)
        .where('status', '=', 'pending')
        .execute()

    if (succeeded(result)) {
      await settle({ status: 'delivered' })
      const healed = await trx.updateTable('webhookEndpoints').set({ consecutiveFailures: 0, failingSince: null })
        .where('id', '=', claimed.endpointId).where('consecutiveFailures', '>', 0).executeTakeFirst()
      endpointChanged = healed.numUpdatedRows > 0n
      return { outcome: 'delivered' as const }
    }
    const health = await trx
      .updateTable('webhookEndpoints')
      .set((eb) => ({ consecutiveFailures: eb('consecutiveFailures', '+', 1), failingSince: eb.fn.coalesce('failingSince', eb.val(now)) }))
      .where('id', '=', claimed.endpointId)
      .returning(['consecutiveFailures', 'failingSince'])
      .executeTakeFirstOrThrow()
    const failingLong = health.consecutiveFailures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES &&
      now.getTime() - (health.failingSince ?? now).getTime() >= settings.WEBHOOK_DISABLE_AFTER_MS
    const disable = result.statusCode === 410 ? 'gone' as const : failingLong ? 'failing' as const : undefined
    endpointChanged = health.consecutiveFailures === 1 || disable !== undefined
    // An address the policy refuses stays refused: the delivery fails at once (replayable once the URL or
    // WEBHOOK_ALLOWED_HOSTS is fixed).
    const retryAt = disable || result.refused ? null : nextAttemptAt(claimed.attempts, claimed.retrySince, now, settings)
    if (retryAt) {
      await settle({ nextAttemptAt: retryAt })
      return { outcome: 'retrying' as const, retryAt }
    }
    await settle({ status: 'failed' })
    if (disable) await disableEndpoint(trx, claimed.endpointId, disable, now)
    return { outcome: 'failed' as const }
  })
  // After the commit: this process's next transition stops writing events for a disabled endpoint at once.
  if (endpointChanged) cachesOf(deps.db).endpointsChanged()
  return settled
}

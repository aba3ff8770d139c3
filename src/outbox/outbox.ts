import { randomUUID } from 'node:crypto'
import type { Insertable } from 'kysely'
import type { Effect } from '../../workflows/complaint.machine.js'
import type { ComplaintRow, WebhookDeliveriesTable, WebhookEventsTable } from '../db/tables.js'
import type { NotificationInsert } from '../notifications/plan.js'
import type { ActiveEndpoint } from '../webhooks/endpoints.repository.js'
import { eventPayload } from '../webhooks/events.js'
import { currentTrace } from '../tracing/context.js'

/**
 * The transactional outbox: the outbound webhook events of one transition, written in its transaction (one event
 * row per `notify` effect that some active endpoint subscribes to, one pending delivery per such endpoint). The
 * worker sends them after commit; a rolled-back transition leaves nothing to send. Both the complaints (which write
 * it) and the webhooks (which send it) depend on this module, never on each other for it.
 */
export interface OutboxInput {
  complaint: Pick<ComplaintRow, 'id' | 'integrationId' | 'reference' | 'externalRef' | 'state' | 'severity' | 'category' | 'escalation' | 'closeReason'>
  seq: number
  historyType: string
  effects: Effect[]
  at: Date
}

export type { ActiveEndpoint } from '../webhooks/endpoints.repository.js'

/** A webhook delivery the outbox wrote: `failing` when its endpoint's last attempt failed (its job goes in the slow lane). */
export interface PendingDelivery {
  id: string
  failing: boolean
}

/** The rows one transition adds to the outbox, and the deliveries to enqueue once they commit. */
export interface OutboxRows {
  events: Insertable<WebhookEventsTable>[]
  deliveries: Insertable<WebhookDeliveriesTable>[]
  /**
   * The messages to the customer (src/notifications/plan.ts), sent by the same workers and sweep. Nothing is enqueued
   * for them after commit: the worker's loader hands them out (src/notifications/loader.ts).
   */
  notifications: NotificationInsert[]
  pending: PendingDelivery[]
}

export const NO_OUTBOX: OutboxRows = { events: [], deliveries: [], notifications: [], pending: [] }

/** The outbox with the transition's messages to the customer added. */
export function withNotifications(outbox: OutboxRows, notifications: NotificationInsert[]): OutboxRows {
  if (notifications.length === 0) return outbox
  return { ...outbox, notifications: [...outbox.notifications, ...notifications] }
}

/** Two transitions' outbox rows, in order (a creation that logs at once, a transition and the lapse it causes). */
export function joinOutbox(a: OutboxRows, b: OutboxRows): OutboxRows {
  if (a.pending.length === 0 && a.events.length === 0 && a.notifications.length === 0) return b
  if (b.pending.length === 0 && b.events.length === 0 && b.notifications.length === 0) return a
  return {
    events: [...a.events, ...b.events],
    deliveries: [...a.deliveries, ...b.deliveries],
    notifications: [...a.notifications, ...b.notifications],
    pending: [...a.pending, ...b.pending],
  }
}

/** The `notify` effects of a transition: what the outbox may have to write. */
export function notifiedTypes(effects: Effect[]): string[] {
  return effects.flatMap((effect) => (effect.type === 'notify' ? [effect.event] : []))
}

/** Composes the outbox rows of one transition (ids chosen here, so the rows go out in the transition's statement). */
export function planOutbox(endpoints: readonly ActiveEndpoint[], input: OutboxInput): OutboxRows {
  const types = notifiedTypes(input.effects)
  if (types.length === 0) return NO_OUTBOX
  const { complaint } = input
  const subscribed = endpoints.filter((endpoint) =>
    endpoint.events.some((event) => types.includes(event)) &&
    (endpoint.integrationId === null || endpoint.integrationId === complaint.integrationId))
  if (subscribed.length === 0) return NO_OUTBOX

  const failing = new Set(subscribed.filter((endpoint) => endpoint.consecutiveFailures > 0).map((endpoint) => endpoint.id))
  const events: OutboxRows['events'] = []
  const deliveries: OutboxRows['deliveries'] = []
  // Traced, the events keep the transition's context for the requests that deliver them, however late.
  const trace = currentTrace()
  types.forEach((type, seqIndex) => {
    const subscribers = subscribed.filter((endpoint) => endpoint.events.includes(type))
    if (subscribers.length === 0) return
    const id = randomUUID()
    const payload = eventPayload(type, complaint, input.at, { seq: input.seq, seqIndex, cause: input.historyType })
    events.push({ id, complaintId: complaint.id, seq: input.seq, seqIndex, type, payload, createdAt: input.at, ...trace })
    for (const endpoint of subscribers) {
      deliveries.push({ id: randomUUID(), eventId: id, endpointId: endpoint.id, complaintId: complaint.id, seq: input.seq, seqIndex })
    }
  })
  // Healthy endpoints' deliveries first: the after-commit enqueue adds them in this order.
  deliveries.sort((a, b) => Number(failing.has(a.endpointId)) - Number(failing.has(b.endpointId)))
  return { events, deliveries, notifications: [], pending: deliveries.map((d) => ({ id: d.id!, failing: failing.has(d.endpointId) })) }
}

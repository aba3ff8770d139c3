import type { DeliveryQueue } from './delivery-queue.js'
import type { PendingDelivery } from '../outbox/outbox.js'

/** What the complaint service hands its after-commit hook (a TransitionResult has this and more). */
export interface CommittedTransition {
  /** The pending webhook deliveries the transition wrote to the outbox. */
  deliveries: PendingDelivery[]
}

/**
 * Enqueues the deliveries that committed transitions wrote to the outbox, by the ids the outbox answered (no query
 * after commit). Losing this (a crash, Redis away) loses nothing: the sweep finds pending deliveries in Postgres.
 * It never throws, so it cannot fail the request.
 */
export function enqueueDeliveries(queue: DeliveryQueue) {
  return async (results: CommittedTransition[]): Promise<void> => {
    const wakes = results.flatMap((r) => r.deliveries.map(({ id, failing }) => ({ deliveryId: id, attempts: 0, failing })))
    if (wakes.length > 0) await queue.enqueueAfterCommit(wakes)
  }
}

/** Runs the complaint service's own after-commit work and then enqueues the webhook deliveries. */
export function withDeliveries<R extends CommittedTransition>(
  first: (results: R[]) => Promise<void> | void,
  deliveries: (results: R[]) => Promise<void>,
) {
  return async (results: R[]): Promise<void> => {
    await Promise.all([first(results), deliveries(results)])
  }
}

import type { Logger } from 'pino'
import type { Effect } from '../../workflows/complaint.machine.js'
import type { Db } from '../db/database.js'
import type { DeliveryQueue } from './delivery-queue.js'

/** What the complaint service hands its after-commit hook (a TransitionResult has these and more). */
export interface CommittedTransition {
  row: { id: string }
  seq: number
  effects: Effect[]
}

/**
 * Enqueues the deliveries that committed transitions wrote to the outbox. Losing this (a crash, Redis away) loses
 * nothing: the sweep finds pending deliveries in Postgres. It never throws, so it cannot fail the request.
 */
export function enqueueDeliveries(db: Db, queue: DeliveryQueue, logger?: Logger) {
  return async (results: CommittedTransition[]): Promise<void> => {
    const announcing = results.filter((r) => r.effects.some((e) => e.type === 'notify'))
    if (announcing.length === 0) return
    try {
      const rows = await db
        .selectFrom('webhookDeliveries')
        .select(['id', 'attempts'])
        .where('status', '=', 'pending')
        .where((eb) => eb.or(announcing.map((r) => eb.and([eb('complaintId', '=', r.row.id), eb('seq', '=', r.seq)]))))
        .execute()
      await queue.enqueueAfterCommit(rows.map((row) => ({ deliveryId: row.id, attempts: row.attempts })))
    } catch (error) {
      logger?.warn({ err: error }, 'could not look up new webhook deliveries; the sweep will send them')
    }
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

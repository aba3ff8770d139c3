import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { startLockedLoop } from '../timers/locked-loop.js'
import type { DeliveryQueue } from '../webhooks/delivery-queue.js'
import { takeNewNotifications } from './notifications.repository.js'

const BATCH = 1_000
/** A message handed out this long ago and still never attempted (its job lost, or still waiting) is handed out again. */
export const REQUEUE_AFTER_MS = 60_000

/**
 * Hands the messages that transitions wrote to the delivery queue (job name `notify`, the ids the retries and the
 * sweep use), in batches. The request that writes a message enqueues nothing: telling the customer costs a
 * transition its rows in the transition's statement and no Redis at all (issue 13), and a message waits at most
 * one round (NOTIFY_LOAD_EVERY) before its job exists.
 */
export async function loadNotifications(db: Db, queue: DeliveryQueue): Promise<number> {
  let count = 0
  for (;;) {
    const rows = await takeNewNotifications(db, BATCH, REQUEUE_AFTER_MS)
    // A crash here leaves the rows marked: they are handed out again after REQUEUE_AFTER_MS (or by the sweep).
    await queue.enqueue(rows.map((row) => ({ deliveryId: row.id, attempts: row.attempts, notification: true })))
    count += rows.length
    if (rows.length < BATCH) return count
  }
}

/** Loads every `everyMs`; with several workers, a Redis lock lets one of them do each round. */
export function startNotificationLoader(options: { db: Db; queue: DeliveryQueue; redis: Redis; everyMs: number; logger: Logger }) {
  const { db, queue, logger } = options
  return startLockedLoop({
    ...options,
    name: 'notification loader',
    lockKey: `${queue.prefix}:notification-loader-lock`,
    round: async () => {
      const loaded = await loadNotifications(db, queue)
      if (loaded > 0) logger.debug({ loaded }, 'customer messages handed to the delivery queue')
    },
  })
}

import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { startLockedLoop } from '../timers/locked-loop.js'
import { cancelOrphans, findClaimable } from './deliveries.repository.js'
import type { DeliveryQueue } from './delivery-queue.js'
import { findClaimableNotifications } from '../notifications/notifications.repository.js'

export interface SweepReport {
  enqueued: number
  cancelled: number
  /** Messages to customers handed out again. */
  notifications: number
}

const BATCH = 1_000
const FIRST_ID = '00000000-0000-0000-0000-000000000000'

/**
 * Hands out again every delivery (and message to a customer) that is due and that nobody holds: its enqueue was lost (a crash between commit and
 * enqueue, Redis restarted empty) or its worker died mid-attempt and the lease ran out. The job ids are the ones the
 * normal path uses, so a delivery whose job Redis still holds is not doubled.
 */
export async function sweepDeliveries(db: Db, queue: DeliveryQueue): Promise<SweepReport> {
  const report: SweepReport = { enqueued: 0, cancelled: await cancelOrphans(db), notifications: 0 }
  report.enqueued = await sweepPages((after) => findClaimable(db, after, BATCH),
    (rows) => queue.enqueue(rows.map((row) => ({ deliveryId: row.id, attempts: row.attempts, failing: row.failing }))))
  // Messages to customers ride the same queue, under their own job name.
  report.notifications = await sweepPages((after) => findClaimableNotifications(db, after, BATCH),
    (rows) => queue.enqueue(rows.map((row) => ({ deliveryId: row.id, attempts: row.attempts, notification: true }))))
  return report
}

async function sweepPages<Row extends { id: string }>(find: (after: string) => Promise<Row[]>, enqueue: (rows: Row[]) => Promise<void>): Promise<number> {
  let after = FIRST_ID
  let count = 0
  for (;;) {
    const rows = await find(after)
    if (rows.length === 0) return count
    after = rows.at(-1)!.id
    await enqueue(rows)
    count += rows.length
  }
}

/** Sweeps at start and every `everyMs`; with several workers, a Redis lock lets one of them do each round. */
export function startSweepLoop(options: { db: Db; queue: DeliveryQueue; redis: Redis; everyMs: number; logger: Logger }) {
  const { db, queue, logger } = options
  return startLockedLoop({
    ...options,
    name: 'webhook sweep',
    lockKey: `${queue.prefix}:webhook-sweep-lock`,
    round: async () => {
      const report = await sweepDeliveries(db, queue)
      logger[report.enqueued + report.cancelled + report.notifications > 0 ? 'info' : 'debug'](report, 'webhook deliveries swept')
    },
  })
}

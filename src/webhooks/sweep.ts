import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { startLockedLoop } from '../timers/locked-loop.js'
import { cancelOrphans, findClaimable } from './deliveries.repository.js'
import type { DeliveryQueue } from './delivery-queue.js'

export interface SweepReport {
  enqueued: number
  cancelled: number
}

const BATCH = 1_000
const FIRST_ID = '00000000-0000-0000-0000-000000000000'

/**
 * Hands out again every delivery that is due and that nobody holds: its enqueue was lost (a crash between commit and
 * enqueue, Redis restarted empty) or its worker died mid-attempt and the lease ran out. The job ids are the ones the
 * normal path uses, so a delivery whose job Redis still holds is not doubled.
 */
export async function sweepDeliveries(db: Db, queue: DeliveryQueue): Promise<SweepReport> {
  const report: SweepReport = { enqueued: 0, cancelled: await cancelOrphans(db) }
  let after = FIRST_ID
  for (;;) {
    const rows = await findClaimable(db, after, BATCH)
    if (rows.length === 0) break
    after = rows.at(-1)!.id
    await queue.enqueue(rows.map((row) => ({ deliveryId: row.id, attempts: row.attempts, failing: row.failing })))
    report.enqueued += rows.length
  }
  return report
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
      logger[report.enqueued + report.cancelled > 0 ? 'info' : 'debug'](report, 'webhook deliveries swept')
    },
  })
}

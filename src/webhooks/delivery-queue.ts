import { Queue, type JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { withTrace, type TracedJob } from '../tracing/context.js'

export const DELIVERY_QUEUE = 'webhooks'

export interface DeliveryJobData extends TracedJob {
  deliveryId: string
}

/** One wake-up of a delivery. `tag` tells wake-ups apart; the same delivery, attempt and tag is one job. */
export interface DeliveryWake {
  deliveryId: string
  attempts: number
  dueAt?: Date
  tag?: string
  /**
   * Its endpoint's last attempt failed: the job goes in BullMQ's prioritized set, which workers take from only when
   * the plain waiting list is empty, so endpoints that fail or hang never queue ahead of healthy ones.
   */
  failing?: boolean
  /** A message to a customer (its id is a `notifications` row's): the job is named NOTIFY_JOB. */
  notification?: boolean
}

/** The job name of a message to a customer; a webhook delivery's is `deliver`. Both share the queue and its workers. */
export const NOTIFY_JOB = 'notify'

/** The BullMQ priority of the slow lane (jobs without a priority always go first). */
export const FAILING_PRIORITY = 1

const JOB_OPTIONS: JobsOptions = {
  // The delivery's row is the record; Redis keeps nothing it cannot rebuild.
  removeOnComplete: true,
  removeOnFail: true,
  // Only a failure to reach Postgres fails a job (a receiver's error is a recorded attempt): retried a few times,
  // then left to the sweep.
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
}

/**
 * Deterministic job ids (`<delivery>.<attempts>[.<tag>]`, never `:`): the after-commit enqueue, the retry and the
 * sweep name the same wake-up the same way, so BullMQ keeps one job for it.
 */
export function deliveryJobId(wake: DeliveryWake): string {
  return [wake.deliveryId, String(wake.attempts), ...(wake.tag ? [wake.tag] : [])].join('.')
}

export class DeliveryQueue {
  readonly queue: Queue<DeliveryJobData>

  constructor(
    readonly connection: Redis,
    readonly prefix: string,
    private readonly logger?: Logger,
  ) {
    this.queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE, { connection, prefix })
    // Without a listener BullMQ prints connection errors to the console; the connection's owner logs them once.
    this.queue.on('error', () => {})
  }

  async enqueue(wakes: DeliveryWake[], now = Date.now()): Promise<void> {
    if (wakes.length === 0) return
    const trace = withTrace()
    await this.queue.addBulk(wakes.map((wake) => ({
      name: wake.notification ? NOTIFY_JOB : 'deliver',
      data: { deliveryId: wake.deliveryId, ...trace },
      opts: {
        ...JOB_OPTIONS,
        jobId: deliveryJobId(wake),
        delay: Math.max(0, (wake.dueAt?.getTime() ?? now) - now),
        ...(wake.failing ? { priority: FAILING_PRIORITY } : {}),
      },
    })))
  }

  /** After a commit: a failure here loses nothing (the sweep finds the pending rows), so it is logged, not thrown. */
  async enqueueAfterCommit(wakes: DeliveryWake[]): Promise<void> {
    try {
      await this.enqueue(wakes)
    } catch (error) {
      this.logger?.warn({ err: error, deliveries: wakes.length }, 'could not enqueue webhook deliveries; the sweep will')
    }
  }

  async close(): Promise<void> {
    await this.queue.close()
  }
}

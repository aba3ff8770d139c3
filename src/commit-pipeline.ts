import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { afterCommit } from './complaints/after-commit.js'
import type { TransitionResult } from './complaints/transition.js'
import { LivePublisher } from './live/live-events.js'
import type { Metrics } from './metrics/metrics.js'
import { Scheduler } from './timers/scheduler.js'
import { enqueueDeliveries, withDeliveries } from './webhooks/after-commit.js'
import { DeliveryQueue } from './webhooks/delivery-queue.js'

/** What a committed transition sets in motion, wired once for the API, the worker, benchmarks and tests. */
export interface CommitPipeline {
  scheduler: Scheduler
  live: LivePublisher
  deliveries: DeliveryQueue
  /** Jobs for the armed timers, live events, then the outbox's deliveries enqueued (all on one Redis connection). */
  afterCommit: (results: TransitionResult[]) => Promise<void>
  close: () => Promise<void>
}

/** `deliveries`: a delivery queue the caller owns (and closes), instead of one of the pipeline's own. */
export function commitPipeline(
  redis: Redis,
  prefix: string,
  options: { logger?: Logger; metrics?: Metrics; deliveries?: DeliveryQueue; horizonMs?: number } = {},
): CommitPipeline {
  const scheduler = new Scheduler(redis, prefix, options.logger, options.horizonMs)
  const live = new LivePublisher(redis, prefix, options.logger)
  const deliveries = options.deliveries ?? new DeliveryQueue(redis, prefix, options.logger)
  return {
    scheduler,
    live,
    deliveries,
    afterCommit: withDeliveries(afterCommit(scheduler, live, options.metrics), enqueueDeliveries(deliveries)),
    close: async () => {
      await Promise.all([scheduler.close(), options.deliveries ? undefined : deliveries.close()])
    },
  }
}

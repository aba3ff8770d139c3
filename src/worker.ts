import type { Logger } from 'pino'
import { afterCommit } from './complaints/after-commit.js'
import type { Config } from './config.js'
import { LivePublisher } from './live/live-events.js'
import type { Runtime } from './runtime.js'
import { startReconcileLoop } from './timers/reconcile-loop.js'
import { Scheduler } from './timers/scheduler.js'
import { startTimerWorkers } from './timers/timer.worker.js'

export interface Worker {
  close: () => Promise<void>
}

/** The worker process: timer and escalation-routing jobs, and the reconciler that keeps Redis true to Postgres. */
export async function startWorker(config: Config, runtime: Runtime, logger: Logger): Promise<Worker> {
  const scheduler = new Scheduler(runtime.redis, config.QUEUE_PREFIX, logger)
  const live = new LivePublisher(runtime.redis, config.QUEUE_PREFIX, logger)
  const workers = startTimerWorkers({
    db: runtime.db,
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    logger,
    afterCommit: afterCommit(scheduler, live),
  })
  const loop = startReconcileLoop({ db: runtime.db, scheduler, redis: runtime.redis, everyMs: config.RECONCILE_EVERY_MS, logger })
  logger.info({ prefix: config.QUEUE_PREFIX, concurrency: config.WORKER_CONCURRENCY }, 'worker started')
  return {
    close: async () => {
      await loop.close()
      await workers.close()
      await scheduler.close()
      logger.info('worker stopped')
    },
  }
}

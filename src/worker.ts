import type { Logger } from 'pino'
import { commitPipeline } from './commit-pipeline.js'
import type { Config } from './config.js'
import { startHousekeepingLoop } from './housekeeping/housekeeping.js'
import { Metrics } from './metrics/metrics.js'
import { serveMetrics } from './metrics/metrics.server.js'
import type { Runtime } from './runtime.js'
import { startLoadLoop } from './timers/load-loop.js'
import { startReconcileLoop } from './timers/reconcile-loop.js'
import { startTimerWorkers } from './timers/timer.worker.js'
import { startDeliveryWorker } from './webhooks/delivery.worker.js'
import { webhookSettings } from './webhooks/settings.js'
import { startSweepLoop } from './webhooks/sweep.js'
import { NotificationSender } from './notifications/send.js'
import { notifySettings } from './notifications/settings.js'
import { startNotificationLoader } from './notifications/loader.js'
import { startRefreshLoop } from './housekeeping/refresh-loop.js'

export interface Worker {
  close: () => Promise<void>
}

/**
 * The worker process: timer and escalation-routing jobs, outbound webhook deliveries and messages to customers, and the reconcilers that keep
 * Redis true to Postgres (pending timers, and pending deliveries that nobody holds), the report rows of
 * changed complaints, and housekeeping (old idempotency keys and settled webhook deliveries, report days to rebuild).
 */
export async function startWorker(config: Config, runtime: Runtime, logger: Logger, options: { metrics?: Metrics } = {}): Promise<Worker> {
  // Its own registry, served on WORKER_METRICS_PORT when set; `npm start` may hand it the API's (docs/operations.md).
  const metricsPort = config.WORKER_METRICS_PORT
  const metrics = options.metrics ?? new Metrics({ db: runtime.db })
  const metricsServer = metricsPort === undefined ? undefined : await serveMetrics(metrics, { host: config.HOST, port: metricsPort, logger })
  const pipeline = commitPipeline(runtime.redis, config.QUEUE_PREFIX, { logger, metrics, horizonMs: config.TIMER_HORIZON_MS })
  const { scheduler, deliveries } = pipeline
  const workers = startTimerWorkers({
    db: runtime.db,
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    logger,
    afterCommit: pipeline.afterCommit,
    horizonMs: config.TIMER_HORIZON_MS,
    metrics,
    notify: notifySettings(config),
  })
  const notifications = new NotificationSender(config, runtime.db, webhookSettings(config))
  const webhookWorker = startDeliveryWorker({
    db: runtime.db,
    queue: deliveries,
    redisUrl: config.REDIS_URL,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    settings: webhookSettings(config),
    logger,
    metrics,
    notifications,
  })
  const loop = startReconcileLoop({
    db: runtime.db, scheduler, redis: runtime.redis, everyMs: config.RECONCILE_EVERY_MS, horizonMs: config.TIMER_HORIZON_MS, logger,
  })
  const loader = startLoadLoop({
    db: runtime.db, scheduler, redis: runtime.redis, everyMs: config.TIMER_LOAD_EVERY_MS, horizonMs: config.TIMER_HORIZON_MS, logger,
  })
  const sweep = startSweepLoop({ db: runtime.db, queue: deliveries, redis: runtime.redis, everyMs: config.RECONCILE_EVERY_MS, logger })
  const messages = startNotificationLoader({ db: runtime.db, queue: deliveries, redis: runtime.redis, everyMs: config.NOTIFY_LOAD_EVERY_MS, logger })
  const reports = startRefreshLoop({
    db: runtime.db, redis: runtime.redis, prefix: config.QUEUE_PREFIX, everyMs: config.REPORT_REFRESH_EVERY_MS, logger,
  })
  const housekeeping = startHousekeepingLoop({
    db: runtime.db,
    redis: runtime.redis,
    prefix: config.QUEUE_PREFIX,
    everyMs: config.HOUSEKEEPING_EVERY_MS,
    idempotencyKeyRetentionMs: config.IDEMPOTENCY_KEY_RETENTION_MS,
    webhookDeliveryRetentionMs: config.WEBHOOK_DELIVERY_RETENTION_MS,
    logger,
  })
  logger.info({ prefix: config.QUEUE_PREFIX, concurrency: config.WORKER_CONCURRENCY }, 'worker started')
  return {
    close: async () => {
      await Promise.all([loop.close(), loader.close(), sweep.close(), messages.close(), reports.close(), housekeeping.close()])
      await Promise.all([workers.close(), webhookWorker.close()])
      notifications.close()
      await Promise.all([pipeline.close(), metricsServer?.close()])
      logger.info('worker stopped')
    },
  }
}

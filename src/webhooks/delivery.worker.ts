import { Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import type { Metrics } from '../metrics/metrics.js'
import { AddressPolicy } from './address-policy.js'
import { allowedHostList } from '../config.js'
import { deliverOnce, type DeliveryOutcome } from './deliver.js'
import { DELIVERY_QUEUE, type DeliveryJobData, type DeliveryQueue } from './delivery-queue.js'
import type { WebhookSettings } from './settings.js'
import { retryWhilePostgresAway } from '../timers/postgres-away.js'

export interface DeliveryWorkerOptions {
  db: Db
  queue: DeliveryQueue
  redisUrl: string
  concurrency: number
  lockDuration: number
  settings: WebhookSettings
  logger: Logger
  /** Delivery outcomes are counted here when given. */
  metrics?: Metrics
}

/** The BullMQ worker that sends outbound webhooks: every job is one attempt at one delivery. */
export function startDeliveryWorker(options: DeliveryWorkerOptions): { close: () => Promise<void> } {
  const { db, queue, settings, logger } = options
  const policy = new AddressPolicy(allowedHostList(settings.WEBHOOK_ALLOWED_HOSTS))
  // BullMQ workers block on Redis: they need a connection that retries forever rather than failing commands.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (error: Error) => logger.warn({ err: error }, 'webhook worker redis connection problem'))

  const process = async (job: Job<DeliveryJobData>, token?: string): Promise<DeliveryOutcome> => {
    const { outcome, wakes } = await retryWhilePostgresAway(job, token, () => deliverOnce({ db, settings, policy }, job.data.deliveryId))
    options.metrics?.deliveryHandled(outcome)
    if (outcome !== 'skipped') logger.debug({ deliveryId: job.data.deliveryId, outcome }, 'webhook delivery attempted')
    if (outcome === 'failed') logger.warn({ deliveryId: job.data.deliveryId }, 'webhook delivery gave up')
    await queue.enqueueAfterCommit(wakes)
    return outcome
  }

  const worker = new Worker<DeliveryJobData, DeliveryOutcome>(DELIVERY_QUEUE, process, {
    connection,
    prefix: queue.prefix,
    concurrency: options.concurrency,
    // The lock is renewed while a request is in flight; a worker that dies loses it after this long.
    lockDuration: options.lockDuration,
    // A job whose worker died is handed to another once its lock has expired and a stalled check has seen it:
    // at most lockDuration + stalledInterval after the death (3 s with the default 2 s lock; docs/deadlines.md).
    stalledInterval: Math.max(1_000, Math.floor(options.lockDuration / 2)),
  })
  worker.on('failed', (job, error) => {
    options.metrics?.deliveryHandled('error')
    logger.warn({ err: error, deliveryId: job?.data.deliveryId }, 'webhook job failed')
  })
  worker.on('error', (error) => logger.warn({ err: error }, 'webhook worker error'))

  return {
    close: async () => {
      // close() lets the attempts in hand finish and be recorded.
      await worker.close()
      connection.disconnect()
    },
  }
}

import { Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import type { Metrics } from '../metrics/metrics.js'
import { AddressPolicy } from './address-policy.js'
import { allowedHostList } from '../config.js'
import { claimDelivery } from './deliveries.repository.js'
import { sendClaimed } from './deliver.js'
import { DELIVERY_QUEUE, NOTIFY_JOB, type DeliveryJobData, type DeliveryQueue } from './delivery-queue.js'
import type { NotificationSender } from '../notifications/send.js'
import { leaseMs, type WebhookSettings } from './settings.js'
import { retryWhilePostgresAway } from '../timers/postgres-away.js'
import { tracedProcessor } from '../tracing/context.js'

/** Requests one worker process keeps in flight at most; past that, jobs wait for one to finish. */
export const MAX_IN_FLIGHT = 1_024

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
  /** Requests in flight at once (MAX_IN_FLIGHT). */
  maxInFlight?: number
  /** Sends the messages to customers (NOTIFY_JOB jobs); without it they wait for a worker that has one. */
  notifications?: NotificationSender
  /** The time attempts are recorded at and retry windows judged by (tests move it; the real time otherwise). */
  clock?: () => Date
}

/** The BullMQ worker that sends outbound webhooks: every job is one attempt at one delivery. */
export function startDeliveryWorker(options: DeliveryWorkerOptions): { close: () => Promise<void> } {
  const { db, queue, settings, logger } = options
  const policy = new AddressPolicy(allowedHostList(settings.WEBHOOK_ALLOWED_HOSTS))
  // BullMQ workers block on Redis: they need a connection that retries forever rather than failing commands.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (error: Error) => logger.warn({ err: error }, 'webhook worker redis connection problem'))

  const deps = { db, settings, policy, clock: options.clock }
  // Requests in flight, sent in the background: a job only claims its delivery (a few milliseconds of Postgres) and
  // starts the request, so an endpoint that never answers holds a socket for WEBHOOK_TIMEOUT_MS, never one of the
  // worker's WORKER_CONCURRENCY job slots, and a healthy endpoint's delivery is not queued behind it.
  const inFlight = new Set<Promise<void>>()
  const maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT

  const track = (sending: Promise<void>) => {
    const tracked: Promise<void> = sending.finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
  }

  // A message to a customer: claimed, then sent in the background like a webhook request, retried on its schedule.
  const notify = async (sender: NotificationSender, job: Job<DeliveryJobData>, token?: string): Promise<'skipped' | 'sending'> => {
    const claimed = await retryWhilePostgresAway(job, token, () => sender.claim(job.data.deliveryId))
    if (!claimed) {
      options.metrics?.notificationHandled('skipped')
      return 'skipped'
    }
    track(sender.sendClaimed(claimed).then(async ({ outcome, wakes }) => {
      options.metrics?.notificationHandled(outcome)
      // Never the address: the id is enough to find the message.
      logger[outcome === 'failed' ? 'warn' : 'debug']({ notificationId: claimed.id, channel: claimed.channel, outcome }, 'customer message attempted')
      await queue.enqueueAfterCommit(wakes)
    }, (error: unknown) => {
      options.metrics?.notificationHandled('error')
      logger.warn({ err: error, notificationId: claimed.id }, 'customer message attempt could not be recorded; the sweep will retry it')
    }))
    return 'sending'
  }

  const process = async (job: Job<DeliveryJobData>, token?: string): Promise<'skipped' | 'sending'> => {
    // Back-pressure before the claim: the claim's lease must not run out while the request waits for a socket.
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight)
    if (job.name === NOTIFY_JOB) {
      if (!options.notifications) throw new Error('this worker cannot send messages to customers')
      return notify(options.notifications, job, token)
    }
    const claimed = await retryWhilePostgresAway(job, token, () => claimDelivery(db, job.data.deliveryId, leaseMs(settings)))
    if (!claimed) {
      options.metrics?.deliveryHandled('skipped')
      return 'skipped'
    }
    track(sendClaimed(deps, claimed).then(async ({ outcome, wakes }) => {
      options.metrics?.deliveryHandled(outcome)
      logger.debug({ deliveryId: claimed.id, outcome }, 'webhook delivery attempted')
      if (outcome === 'failed') logger.warn({ deliveryId: claimed.id }, 'webhook delivery gave up')
      await queue.enqueueAfterCommit(wakes)
    }, (error: unknown) => {
      // Recording failed (Postgres away): the attempt stays unfinished on record; the lease runs out and the sweep
      // hands the delivery out again.
      options.metrics?.deliveryHandled('error')
      logger.warn({ err: error, deliveryId: claimed.id }, 'webhook attempt could not be recorded; the sweep will retry it')
    }))
    return 'sending'
  }

  const worker = new Worker<DeliveryJobData, 'skipped' | 'sending'>(DELIVERY_QUEUE, tracedProcessor(process), {
    connection,
    prefix: queue.prefix,
    concurrency: options.concurrency,
    // A job holds its lock only while it claims; the request's lease protects the delivery after that.
    lockDuration: options.lockDuration,
    // A job whose worker died is handed to another once its lock has expired and a stalled check has seen it:
    // at most lockDuration + stalledInterval after the death (3 s with the default 2 s lock; docs/deadlines.md).
    stalledInterval: Math.max(1_000, Math.floor(options.lockDuration / 2)),
  })
  worker.on('failed', (job, error) => {
    if (job?.name === NOTIFY_JOB) options.metrics?.notificationHandled('error')
    else options.metrics?.deliveryHandled('error')
    logger.warn({ err: error, deliveryId: job?.data.deliveryId }, 'webhook job failed')
  })
  worker.on('error', (error) => logger.warn({ err: error }, 'webhook worker error'))

  return {
    close: async () => {
      // close() lets the attempts in hand finish and be recorded.
      await worker.close()
      await Promise.all(inFlight)
      connection.disconnect()
    },
  }
}

import { Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { TransitionResult } from '../complaints/transition.js'
import type { Db } from '../db/database.js'
import type { Metrics } from '../metrics/metrics.js'
import { Batcher } from './batcher.js'
import { fireTimers, type FireOutcome, type FireResult } from './fire-timer.js'
import { QUEUES, queueOf, type QueueName, type TimerJobData } from './jobs.js'
import { retryWhilePostgresAway } from './postgres-away.js'

export interface TimerWorkerOptions {
  db: Db
  redisUrl: string
  prefix: string
  concurrency: number
  lockDuration: number
  logger: Logger
  afterCommit: (results: TransitionResult[]) => Promise<void>
  /** TIMER_HORIZON: the timers a firing arms within it are enqueued after commit, later ones by the loader. */
  horizonMs?: number
  /** Timer lateness and deadlines missed are recorded here when given. */
  metrics?: Metrics
}

/** BullMQ workers for the timer and escalation queues: every job fires its timer row. */
export function startTimerWorkers(options: TimerWorkerOptions): { close: () => Promise<void> } {
  const { db, logger } = options
  // BullMQ workers block on Redis: they need a connection that retries forever rather than failing commands.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (error: Error) => logger.warn({ err: error }, 'worker redis connection problem'))

  const fire = async (ids: string[]) => {
    const outcomes = await fireTimers(db, ids, new Date(), options.horizonMs)
    await options.afterCommit([...outcomes.values()].flatMap((o) => o.results))
    return outcomes
  }
  // Routing batches take turns on the routing lock: one in flight per process, and the routings that arrive
  // meanwhile make the next batch, instead of waiting on the lock one by one.
  const batchers: Record<QueueName, Batcher<FireResult>> = {
    timers: new Batcher(fire, options.concurrency),
    escalations: new Batcher(fire, options.concurrency, 5, 1),
  }

  const process = async (job: Job<TimerJobData>, token?: string): Promise<FireOutcome> => {
    const fired = await retryWhilePostgresAway(job, token, () => batchers[queueOf(job.name)].add(job.data.timerId))
    const result = fired.results[0]
    // Measured from the row's due instant, so a timer the reconciler re-armed late still shows how late it fired.
    const lateMs = fired.dueAt ? Date.now() - fired.dueAt.getTime() : 0
    logger.debug({ timerId: job.data.timerId, outcome: fired.outcome, lateMs }, 'timer handled')
    options.metrics?.timerHandled(job.name, fired.outcome, lateMs)
    if (job.name === 'route_escalation' && fired.outcome === 'fired' && !result?.row.escalation?.assigneeId) {
      logger.error({ complaintId: result?.row.id, level: result?.row.escalation?.level },
        'ALERT: no active supervisor can take this escalation; it waits in the unassigned pool')
    }
    return fired.outcome
  }

  const workers = [QUEUES.timers, QUEUES.escalations].map((queue) => {
    const worker = new Worker<TimerJobData, FireOutcome>(queue, process, {
      connection,
      prefix: options.prefix,
      // Twice a batch: one batch is written while the next gathers (with one batch's worth, the queue hands out nothing
      // until the batch in flight commits).
      concurrency: options.concurrency * 2,
      lockDuration: options.lockDuration,
      // A job whose worker died is handed to another once its lock has expired and a stalled check has seen it:
      // at most lockDuration + stalledInterval after the death (3 s with the default 2 s lock; docs/deadlines.md).
      stalledInterval: Math.max(1_000, Math.floor(options.lockDuration / 2)),
    })
    worker.on('failed', (job, error) => logger.warn({ err: error, timerId: job?.data.timerId, attempts: job?.attemptsMade }, 'timer job failed'))
    worker.on('error', (error) => logger.warn({ err: error }, 'timer worker error'))
    return worker
  })

  return {
    close: async () => {
      // close() waits for the jobs in hand to finish; their transactions commit or roll back whole.
      await Promise.all(workers.map((w) => w.close()))
      connection.disconnect()
    },
  }
}

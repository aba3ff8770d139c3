import { Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { TransitionResult } from '../complaints/transition.js'
import type { Db } from '../db/database.js'
import type { Metrics } from '../metrics/metrics.js'
import { Batcher } from './batcher.js'
import type { NotifySettings } from '../notifications/settings.js'
import { fireTimers, type FireOutcome, type FireResult } from './fire-timer.js'
import { HISTORY_TYPE } from '../../workflows/complaint.machine.js'
import { kindOfTimer } from '../complaints/timer-rows.js'
import { QUEUES, timerIdsOf, type QueueName, type TimerJobData } from './jobs.js'
import { retryWhilePostgresAway } from './postgres-away.js'
import { tracedProcessor } from '../tracing/context.js'

/** A routing batch holds up to this many times WORKER_CONCURRENCY routings: one transaction. */
const ROUTING_BATCH_FACTOR = 4

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
  /** The channels a firing's messages to the customer go out on (a missed promise's apology); none when not given. */
  notify?: NotifySettings
}

/** BullMQ workers for the timer and escalation queues: every job fires its timer row, or its group's rows. */
export function startTimerWorkers(options: TimerWorkerOptions): { close: () => Promise<void> } {
  const { db, logger } = options
  // BullMQ workers block on Redis: they need a connection that retries forever rather than failing commands.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (error: Error) => logger.warn({ err: error }, 'worker redis connection problem'))

  const fire = async (ids: string[]) => {
    const outcomes = await fireTimers(db, ids, new Date(), options.horizonMs, options.notify)
    await options.afterCommit([...outcomes.values()].flatMap((o) => o.results))
    return outcomes
  }
  // Two batches in flight per queue at most: one commits while the next gathers; a timer batch holds up to twice
  // WORKER_CONCURRENCY timers, so a backlog drains in larger, cheaper batches. A group job hands in a batch's worth
  // of ids at once, so the bound is on batches, not jobs: without it a worker holding a hundred group jobs opened a
  // transaction for each, and its event loop fell so far behind that BullMQ's lock renewals lapsed. Routing batches
  // (routing jobs: the escalations the API opens; a missed deadline's escalation is routed in its own batch): one in
  // flight, and the routings that arrive meanwhile make the next, larger batch (two in flight measured no better,
  // bench/RESULTS.md).
  const batchers: Record<QueueName, Batcher<FireResult>> = {
    timers: new Batcher(fire, options.concurrency * 2, 5, 2, 'timers fire'),
    escalations: new Batcher(fire, options.concurrency * ROUTING_BATCH_FACTOR, 5, 1, 'escalations fire'),
  }

  const processOn = (queue: QueueName) => async (job: Job<TimerJobData>, token?: string): Promise<FireOutcome[]> => {
    const ids = timerIdsOf(job.data)
    const fired = await retryWhilePostgresAway(job, token, () => Promise.all(ids.map((id) => batchers[queue].add(id))))
    const now = Date.now()
    fired.forEach((outcome, i) => {
      const kind = kindOfTimer(ids[i]!) ?? job.name
      // Measured from the row's due instant, so a timer the reconciler re-armed late still shows how late it fired.
      const lateMs = outcome.dueAt ? now - outcome.dueAt.getTime() : 0
      logger.debug({ timerId: ids[i], outcome: outcome.outcome, lateMs }, 'timer handled')
      options.metrics?.timerHandled(kind, outcome.outcome, lateMs)
      // A routing, by its own job or in the batch of the deadline that escalated.
      for (const result of outcome.results) {
        if (result.historyType === HISTORY_TYPE.ESCALATION_ROUTED && !result.row.escalation?.assigneeId) {
          logger.error({ complaintId: result.row.id, level: result.row.escalation?.level },
            'ALERT: no active supervisor can take this escalation; it waits in the unassigned pool')
        }
      }
    })
    return fired.map((f) => f.outcome)
  }

  const workers = [QUEUES.timers, QUEUES.escalations].map((queue) => {
    const worker = new Worker<TimerJobData, FireOutcome[]>(queue, tracedProcessor(processOn(queue)), {
      connection,
      prefix: options.prefix,
      // Twice a batch: one batch is written while the next gathers (with one batch's worth, the queue hands out nothing
      // until the batch in flight commits).
      concurrency: options.concurrency * 2,
      lockDuration: options.lockDuration,
      // A job whose worker died is handed to another once its lock has expired and a stalled check has seen it:
      // at most lockDuration + stalledInterval after the death (3 s with the default 2 s lock; docs/deadlines.md).
      stalledInterval: Math.max(1_000, Math.floor(options.lockDuration / 2)),
      // Firing is idempotent (a claim in Postgres), so a job that stalled (its lock lapsed on a busy machine) is run
      // again rather than failed after its first stall and left to the next reconcile round.
      maxStalledCount: 5,
    })
    worker.on('failed', (job, error) => logger.warn({ err: error, jobId: job?.id, timers: job && timerIdsOf(job.data).length, attempts: job?.attemptsMade }, 'timer job failed'))
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

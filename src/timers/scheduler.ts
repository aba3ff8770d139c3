import { Queue, type JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { withTrace } from '../tracing/context.js'
import { DEFAULT_TIMER_HORIZON_MS } from './horizon.js'
import { GROUP_JOB, jobIdOf, QUEUES, queueOf, type QueueName, type ScheduledTimer, type TimerJobData } from './jobs.js'

const JOB_OPTIONS: JobsOptions = {
  // Fired timers are marked in Postgres; Redis keeps nothing it cannot rebuild.
  removeOnComplete: true,
  // A job that keeps failing is dropped after its retries; the reconciler arms it again from its row.
  removeOnFail: true,
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
}

/** Puts timer rows on their BullMQ queues as delayed jobs whose id is the row's id. */
export class Scheduler {
  readonly queues: Record<QueueName, Queue<TimerJobData>>

  constructor(
    readonly connection: Redis,
    readonly prefix: string,
    private readonly logger?: Logger,
    readonly horizonMs = DEFAULT_TIMER_HORIZON_MS,
  ) {
    this.queues = {
      timers: new Queue<TimerJobData>(QUEUES.timers, { connection, prefix }),
      escalations: new Queue<TimerJobData>(QUEUES.escalations, { connection, prefix }),
    }
    // Without a listener BullMQ prints connection errors to the console; the connection's owner logs them once.
    for (const queue of Object.values(this.queues)) queue.on('error', () => {})
  }

  /**
   * Adding a job whose id exists already is a no-op in BullMQ, so scheduling twice is harmless. Timers that share a
   * `jobId` become one job, due when the last of them is (job-groups.ts).
   */
  async schedule(timers: ScheduledTimer[], now = Date.now()): Promise<void> {
    const byQueue = new Map<QueueName, Map<string, ScheduledTimer[]>>()
    for (const timer of timers) {
      const queue = queueOf(timer.kind)
      const jobs = byQueue.get(queue) ?? new Map<string, ScheduledTimer[]>()
      const jobId = jobIdOf(timer)
      const list = jobs.get(jobId)
      if (list) list.push(timer)
      else jobs.set(jobId, [timer])
      byQueue.set(queue, jobs)
    }
    const trace = withTrace()
    await Promise.all(
      [...byQueue].map(([queue, jobs]) =>
        this.queues[queue].addBulk(
          [...jobs].map(([jobId, list]) => {
            const dueAt = Math.max(...list.map((t) => t.dueAt.getTime()))
            const opts = { ...JOB_OPTIONS, jobId, delay: Math.max(0, dueAt - now) }
            return list.length === 1 && !list[0]!.jobId
              ? { name: list[0]!.kind, data: { timerId: list[0]!.id, ...trace }, opts }
              : { name: GROUP_JOB, data: { timerIds: list.map((t) => t.id), ...trace }, opts }
          }),
        ),
      ),
    )
  }

  /** After a commit: a failure here loses nothing (the reconciler arms the rows), so it is logged, not thrown. */
  async scheduleAfterCommit(timers: ScheduledTimer[]): Promise<void> {
    if (timers.length === 0) return
    try {
      await this.schedule(timers)
    } catch (error) {
      this.logger?.warn({ err: error, timers: timers.length }, 'could not enqueue timers; the reconciler will arm them')
    }
  }

  /**
   * After a commit that cancelled timers: their jobs leave Redis rather than wait to fire as no-ops. Only timers due
   * within the horizon can have one (the rest never left Postgres); a job being fired right now is left alone (its
   * firing finds the row cancelled), and so is a group's job, whose other timers still count on it. Failures are
   * logged: a job left behind fires as a no-op.
   */
  async unscheduleAfterCommit(timers: ScheduledTimer[], now = Date.now()): Promise<void> {
    const queued = timers.filter((t) => !t.jobId && t.dueAt.getTime() - now <= this.horizonMs)
    if (queued.length === 0) return
    try {
      await Promise.all(queued.map((t) => this.queues[queueOf(t.kind)].remove(t.id)))
    } catch (error) {
      this.logger?.warn({ err: error, timers: queued.length }, 'could not remove the jobs of cancelled timers; they will fire as no-ops')
    }
  }

  jobKey(queue: QueueName, id: string): string {
    return `${this.prefix}:${queue}:${id}`
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()))
  }
}

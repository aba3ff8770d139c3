import type { TimerKind } from '../../workflows/complaint.machine.js'
import type { TracedJob } from '../tracing/context.js'

/** Timer rows also carry internal jobs that must survive a crash, such as routing an escalation. */
export type JobKind = TimerKind | 'route_escalation'

/**
 * The deadlines whose firing is a missed promise: each opens an escalation or takes it a level higher (counted by
 * `hotline_deadlines_missed_total`; a timer batch that fires one routes the escalation itself).
 */
export const MISS_KINDS = ['triage', 'response', 'escalation_ack', 'escalation_response'] as const satisfies readonly TimerKind[]

export const QUEUES = { timers: 'timers', escalations: 'escalations' } as const
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]

export function queueOf(kind: string): QueueName {
  return kind === 'route_escalation' ? QUEUES.escalations : QUEUES.timers
}

export interface ScheduledTimer {
  id: string
  kind: string
  dueAt: Date
  /** The job it shares with timers due together (job-groups.ts); absent or null: its own job, named by its id. */
  jobId?: string | null
}

/** A timer's own job, or the job of timers due together (named `group`), fired as one batch. */
export type TimerJobData = ({ timerId: string } | { timerIds: string[] }) & TracedJob

export const GROUP_JOB = 'group'

/** The BullMQ job id a timer's job has. */
export function jobIdOf(timer: ScheduledTimer): string {
  return timer.jobId ?? timer.id
}

export function timerIdsOf(data: TimerJobData): string[] {
  return 'timerIds' in data ? data.timerIds : [data.timerId]
}

import type { TimerKind } from '../../workflows/complaint.machine.js'

/** Timer rows also carry internal jobs that must survive a crash, such as routing an escalation. */
export type JobKind = TimerKind | 'route_escalation'

export const QUEUES = { timers: 'timers', escalations: 'escalations' } as const
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]

export function queueOf(kind: string): QueueName {
  return kind === 'route_escalation' ? QUEUES.escalations : QUEUES.timers
}

export interface ScheduledTimer {
  id: string
  kind: string
  dueAt: Date
}

export interface TimerJobData {
  timerId: string
}

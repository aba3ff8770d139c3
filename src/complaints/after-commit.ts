import type { LiveEvent, LivePublisher } from '../live/live-events.js'
import type { Metrics } from '../metrics/metrics.js'
import type { Scheduler } from '../timers/scheduler.js'
import type { TransitionResult } from './transition.js'

/** What a committed transition sets in motion: its timers' jobs and its live notifications. */
export function afterCommit(scheduler: Scheduler, live: LivePublisher, metrics?: Metrics) {
  return async (results: TransitionResult[]): Promise<void> => {
    metrics?.committed(results)
    const at = new Date().toISOString()
    const events: LiveEvent[] = results.flatMap(({ row, effects }) =>
      effects.flatMap((effect) =>
        effect.type === 'notify'
          ? [{
              type: effect.event,
              complaintId: row.id,
              reference: row.reference,
              state: row.state,
              level: row.escalation?.level ?? null,
              assigneeId: row.escalation?.assigneeId ?? row.assigneeId,
              at,
            }]
          : [],
      ),
    )
    await Promise.all([
      scheduler.scheduleAfterCommit(results.flatMap((r) => r.armed.filter((t) => t.queued))),
      scheduler.unscheduleAfterCommit(results.flatMap((r) => r.cancelled)),
      live.publish(events),
    ])
  }
}

import { audienceOf, feedId, feedMessage } from '../live/feed.js'
import { liveEventOf, type LivePublisher, type Published } from '../live/live-events.js'
import type { Metrics } from '../metrics/metrics.js'
import type { Scheduler } from '../timers/scheduler.js'
import type { TransitionResult } from './transition.js'

/** What a committed transition sets in motion: its timers' jobs and its live notifications. */
export function afterCommit(scheduler: Scheduler, live: LivePublisher, metrics?: Metrics) {
  return async (results: TransitionResult[]): Promise<void> => {
    metrics?.committed(results)
    const at = new Date().toISOString()
    const events: Published[] = results.flatMap(({ row, effects, seq }) =>
      effects.filter((effect) => effect.type === 'notify').map((effect, index) =>
        liveEventOf(effect.event, row.id, row, at, `${feedId(row.updatedAt, row.id, seq)}.${index}`)),
    )
    for (const { row, history } of results) {
      for (const entry of history) {
        const audience = audienceOf(entry)
        if (audience) events.push({ feed: feedMessage(row, entry), audience })
      }
    }
    await Promise.all([
      scheduler.scheduleAfterCommit(results.flatMap((r) => r.armed.filter((t) => t.queued))),
      scheduler.unscheduleAfterCommit(results.flatMap((r) => r.cancelled)),
      live.publish(events),
    ])
  }
}

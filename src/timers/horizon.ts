/**
 * Only deadlines due within the horizon are BullMQ jobs: the rest wait in Postgres (`timers.queued = false`) until
 * the worker's loader moves them into the queue (src/timers/loader.ts). Redis then holds the deadlines due soon, not
 * every open promise (docs/deadlines.md).
 */
export const DEFAULT_TIMER_HORIZON_MS = 5 * 60_000

/** Whether a timer armed at `now` is handed to the queue after commit rather than left to the loader. */
export function withinHorizon(dueAt: Date, now: Date, horizonMs = DEFAULT_TIMER_HORIZON_MS): boolean {
  return dueAt.getTime() - now.getTime() <= horizonMs
}

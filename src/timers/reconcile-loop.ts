import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { reconcile } from './reconciler.js'
import type { Scheduler } from './scheduler.js'

/**
 * Reconciles at start and then every `everyMs`. With several workers, a Redis lock lets one of them do
 * each round; losing the lock (or Redis) only delays a round, it never skips a timer.
 */
export function startReconcileLoop(options: { db: Db; scheduler: Scheduler; redis: Redis; everyMs: number; logger: Logger }) {
  const { db, scheduler, redis, everyMs, logger } = options
  const lockKey = `${scheduler.prefix}:reconciler-lock`
  let running: Promise<void> | undefined
  let stopped = false

  let retry: NodeJS.Timeout | undefined
  const round = async () => {
    try {
      const token = `${process.pid}-${Date.now()}`
      const locked = await redis.set(lockKey, token, 'PX', Math.max(1_000, everyMs - 100), 'NX')
      if (!locked) return
      const report = await reconcile(db, scheduler, (progress) => {
        if (progress.pending % 20_000 === 0) logger.info(progress, 'reconciling timers')
      })
      logger[report.rearmed > 0 ? 'warn' : 'debug'](report, 'timers reconciled')
    } catch (error) {
      // A failed round (Redis or Postgres away) is retried soon rather than a whole interval later.
      logger.warn({ err: error }, 'reconcile round failed; retrying')
      if (!stopped) retry = setTimeout(tick, Math.min(everyMs, 5_000))
    }
  }
  const tick = () => {
    if (!stopped && !running) running = round().finally(() => (running = undefined))
  }
  tick()
  const interval = setInterval(tick, everyMs)
  return {
    close: async () => {
      stopped = true
      clearInterval(interval)
      clearTimeout(retry)
      await running
    },
  }
}

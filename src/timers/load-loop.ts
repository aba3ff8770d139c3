import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { loadDueSoon } from './loader.js'
import { startLockedLoop } from './locked-loop.js'
import type { Scheduler } from './scheduler.js'

/**
 * Every `everyMs`, one worker of many (a Redis lock) moves the timers entering the horizon into the queue. A worker
 * that dies holding the lock loses it within one interval and another takes the next round; with the horizon at
 * least four intervals long (checked by the config), a timer still enters the queue minutes before it is due.
 */
export function startLoadLoop(options: { db: Db; scheduler: Scheduler; redis: Redis; everyMs: number; horizonMs: number; logger: Logger }) {
  const { db, scheduler, logger, horizonMs } = options
  return startLockedLoop({
    ...options,
    name: 'timer load round',
    lockKey: `${scheduler.prefix}:loader-lock`,
    round: async () => {
      const report = await loadDueSoon(db, scheduler, {
        horizonMs,
        onProgress: (progress) => {
          if (progress.loaded % 50_000 === 0) logger.info(progress, 'moving timers into the queue')
        },
      })
      if (report.loaded > 0) logger.debug(report, 'timers moved into the queue')
    },
  })
}

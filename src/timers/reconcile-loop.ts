import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { startLockedLoop } from './locked-loop.js'
import { reconcile } from './reconciler.js'
import type { Scheduler } from './scheduler.js'

/** Reconciles at start and then every `everyMs`, one worker of many each round; a lost round never skips a timer. */
export function startReconcileLoop(options: { db: Db; scheduler: Scheduler; redis: Redis; everyMs: number; horizonMs: number; logger: Logger }) {
  const { db, scheduler, logger, horizonMs } = options
  return startLockedLoop({
    ...options,
    name: 'reconcile round',
    lockKey: `${scheduler.prefix}:reconciler-lock`,
    round: async () => {
      const report = await reconcile(db, scheduler, {
        horizonMs,
        onProgress: (progress) => {
          if (progress.pending % 20_000 === 0) logger.info(progress, 'reconciling timers')
        },
      })
      logger[report.rearmed > 0 ? 'warn' : 'debug'](report, 'timers reconciled')
    },
  })
}

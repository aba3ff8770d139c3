import type { Logger } from 'pino'
import type { Config } from './config.js'
import type { Runtime } from './runtime.js'

export interface Worker {
  close: () => Promise<void>
}

/**
 * The worker process: BullMQ workers for timers, escalation routing, follow-ups and webhook deliveries
 * register here. It holds no queues yet; the process still starts, checks its connections and stops cleanly.
 */
export async function startWorker(_config: Config, runtime: Runtime, logger: Logger): Promise<Worker> {
  await runtime.db.selectFrom('users').select('id').limit(1).execute()
  logger.info('worker started')
  return { close: async () => logger.info('worker stopped') }
}

import type { Redis } from 'ioredis'
import type { Logger } from 'pino'

/**
 * Runs `round` at start and then every `everyMs`. With several workers, a Redis lock lets one of them do each
 * round; losing the lock (or Redis) only delays a round. A failed round (Redis or Postgres away) is retried
 * within seconds rather than a whole interval later.
 */
export function startLockedLoop(options: {
  name: string
  lockKey: string
  redis: Redis
  everyMs: number
  logger: Logger
  round: () => Promise<void>
}): { close: () => Promise<void> } {
  const { name, lockKey, redis, everyMs, logger } = options
  let running: Promise<void> | undefined
  let retry: NodeJS.Timeout | undefined
  let stopped = false

  const round = async () => {
    try {
      const locked = await redis.set(lockKey, `${process.pid}-${Date.now()}`, 'PX', Math.max(500, everyMs - 100), 'NX')
      if (locked) await options.round()
    } catch (error) {
      logger.warn({ err: error }, `${name} failed; retrying`)
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

import type { WebhookSettings } from './settings.js'

type RetrySettings = Pick<WebhookSettings, 'WEBHOOK_RETRY_BASE_MS' | 'WEBHOOK_RETRY_MAX_DELAY_MS' | 'WEBHOOK_RETRY_FOR_MS'>

/**
 * The wait after failed attempt `attempt` (1-based): base * 2^(attempt - 1), capped, then spread by +-20 % so that
 * the retries of many deliveries that failed together do not all come back at the same instant.
 */
export function retryDelayMs(attempt: number, settings: RetrySettings, random: () => number = Math.random): number {
  const exponential = Math.min(settings.WEBHOOK_RETRY_MAX_DELAY_MS, settings.WEBHOOK_RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 40))
  return Math.max(1, Math.round(exponential * (0.8 + 0.4 * random())))
}

/** When to try again, or null when the next try would fall outside the retry window that began at `since`. */
export function nextAttemptAt(attempt: number, since: Date, now: Date, settings: RetrySettings, random?: () => number): Date | null {
  const next = new Date(now.getTime() + retryDelayMs(attempt, settings, random))
  return next.getTime() - since.getTime() > settings.WEBHOOK_RETRY_FOR_MS ? null : next
}

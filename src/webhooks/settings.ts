import { loadConfig, type Config } from '../config.js'

export const WEBHOOK_SETTINGS = [
  'WEBHOOK_ALLOWED_HOSTS', 'WEBHOOK_BODY_LIMIT_BYTES', 'WEBHOOK_RATE_LIMIT', 'WEBHOOK_SECRET_GRACE_MS', 'WEBHOOK_TIMEOUT_MS',
  'WEBHOOK_RETRY_BASE_MS', 'WEBHOOK_RETRY_MAX_DELAY_MS', 'WEBHOOK_RETRY_FOR_MS', 'WEBHOOK_DISABLE_AFTER_MS',
  'WEBHOOK_DISABLE_AFTER_FAILURES',
] as const satisfies readonly (keyof Config)[]

export type WebhookSettings = Pick<Config, (typeof WEBHOOK_SETTINGS)[number]>

function pick(config: Partial<WebhookSettings>): Partial<WebhookSettings> {
  return Object.fromEntries(WEBHOOK_SETTINGS.filter((key) => config[key] !== undefined).map((key) => [key, config[key]]))
}

const DEFAULTS = pick(loadConfig({})) as WebhookSettings

/** The webhook settings of a configuration; what it lacks (tests, the openapi command) takes the defaults. */
export function webhookSettings(config: Partial<WebhookSettings>): WebhookSettings {
  return { ...DEFAULTS, ...pick(config) }
}

/** How long a claimed delivery stays with its worker: the request's timeout and time to record it. */
export function leaseMs(settings: Pick<WebhookSettings, 'WEBHOOK_TIMEOUT_MS'>): number {
  return settings.WEBHOOK_TIMEOUT_MS + 2_000
}

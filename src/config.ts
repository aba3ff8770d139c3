import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { Duration } from 'luxon'
import { BlockList, isIP } from 'node:net'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const LogLevel = Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)))

export const ConfigSchema = Type.Object({
  // Unset or `embedded`: a Postgres / a redis-server started by the service itself (src/embedded, docs/embedded.md).
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^(postgres(ql)?://|embedded$)' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^(rediss?://|embedded$)' })),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOTLINE_BOOTSTRAP_ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  RECONCILE_EVERY: Type.String({ default: 'PT1M' }),
  LOG_LEVEL: Type.Union(LogLevel.anyOf, { default: 'info' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 262_144 }),
  DEFAULT_PHONE_COUNTRY: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
  QUEUE_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'hotline' }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 64 }),
  WORKER_LOCK_MS: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 2_000 }),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 20 }),
  DATABASE_PREPARED_STATEMENTS: Type.Integer({ minimum: 0, maximum: 10_000, default: 256 }),
  WEBHOOK_ALLOWED_HOSTS: Type.Optional(Type.String({ maxLength: 4000 })),
  WEBHOOK_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 65_536 }),
  WEBHOOK_RATE_LIMIT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 600 }),
  RATE_LIMIT_PER_TOKEN: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1_200 }),
  RATE_LIMIT_PER_IP: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 120 }),
  WEBHOOK_SECRET_GRACE: Type.String({ default: 'PT24H' }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  WEBHOOK_RETRY_BASE: Type.String({ default: 'PT10S' }),
  WEBHOOK_RETRY_MAX_DELAY: Type.String({ default: 'PT4H' }),
  WEBHOOK_RETRY_FOR: Type.String({ default: 'P1D' }),
  WEBHOOK_DISABLE_AFTER: Type.String({ default: 'P1D' }),
  WEBHOOK_DISABLE_AFTER_FAILURES: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20 }),
  WORKER_METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  IDEMPOTENCY_KEY_RETENTION: Type.String({ default: 'P30D' }),
  HOUSEKEEPING_EVERY: Type.String({ default: 'PT15M' }),
  WEBHOOK_DELIVERY_RETENTION: Type.String({ default: 'P30D' }),
  CACHE_TTL: Type.String({ default: 'PT1S' }),
  TIMER_HORIZON: Type.String({ default: 'PT5M' }),
  TIMER_LOAD_EVERY: Type.String({ default: 'PT5S' }),
  NOTIFY_LOAD_EVERY: Type.String({ default: 'PT1S' }),
  REPORT_REFRESH_EVERY: Type.String({ default: 'PT1S' }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  NOTIFY_FROM: Type.String({ minLength: 3, maxLength: 320, default: 'Hotline <no-reply@localhost>' }),
  SMS_WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  SMS_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9+/]{16,}={0,2}$' })),
  DEFAULT_LANGUAGE: Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { default: 'zh-CN' }),
  // Tracing is on when set (src/tracing, docs/operations.md); the SDK reads it and the other OTEL_ variables itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})

/** ISO 8601 durations: the config carries each as `<NAME>_MS`, in milliseconds. */
const DURATIONS = ['RECONCILE_EVERY', 'WEBHOOK_SECRET_GRACE', 'WEBHOOK_RETRY_BASE', 'WEBHOOK_RETRY_MAX_DELAY',
  'WEBHOOK_RETRY_FOR', 'WEBHOOK_DISABLE_AFTER', 'IDEMPOTENCY_KEY_RETENTION', 'HOUSEKEEPING_EVERY',
  'WEBHOOK_DELIVERY_RETENTION', 'CACHE_TTL', 'TIMER_HORIZON', 'TIMER_LOAD_EVERY', 'NOTIFY_LOAD_EVERY', 'REPORT_REFRESH_EVERY'] as const
/** Below this, a sender still retrying (Standard Webhooks senders retry for a day or more) could create a duplicate. */
const MIN_IDEMPOTENCY_KEY_RETENTION_MS = 86_400_000
/** Longer, and a deactivated user's token would keep working on other processes for too long. */
const MAX_CACHE_TTL_MS = 60_000
/** Shorter, and the loader (every TIMER_LOAD_EVERY) could not move a timer into the queue before it falls due. */
const MIN_TIMER_HORIZON_MS = 10_000
type DurationVariable = (typeof DURATIONS)[number]

export type RawConfig = Static<typeof ConfigSchema>
/** What the environment says: DATABASE_URL and REDIS_URL undefined mean the embedded services (`embedded` too). */
export type LoadedConfig = Omit<RawConfig, DurationVariable> & { [K in DurationVariable as `${K}_MS`]: number }
/** The configuration the service runs with: the URLs are the servers to connect to (the embedded ones resolved). */
export type Config = LoadedConfig & { DATABASE_URL: string; REDIS_URL: string }

type Variable = keyof RawConfig

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** What each variable must be, in words an operator can act on. */
const EXPECTED: Record<Variable, string> = {
  DATABASE_URL: 'must be a postgres:// or postgresql:// URL, or embedded (or unset) for the embedded Postgres',
  REDIS_URL: 'must be a redis:// or rediss:// URL, or embedded (or unset) for the embedded Redis',
  HOST: 'must be a host name or IP address',
  PORT: 'must be a whole number from 0 to 65535',
  HOTLINE_BOOTSTRAP_ADMIN_TOKEN: 'must be at least 16 characters long',
  RECONCILE_EVERY: 'must be a positive ISO 8601 duration such as PT1M or PT30S',
  LOG_LEVEL: `must be one of ${LOG_LEVELS.join(', ')}`,
  BODY_LIMIT_BYTES: 'must be a whole number of bytes from 1024 to 10485760',
  DEFAULT_PHONE_COUNTRY: 'must be a two-letter ISO 3166 country code in capitals, such as CN',
  QUEUE_PREFIX: 'must be 1 to 64 letters, digits, - or _',
  WORKER_CONCURRENCY: 'must be a whole number from 1 to 256',
  WORKER_LOCK_MS: 'must be a whole number of milliseconds from 1000 to 600000',
  DATABASE_POOL_SIZE: 'must be a whole number from 1 to 500',
  DATABASE_PREPARED_STATEMENTS: 'must be a whole number from 0 (none) to 10000',
  WEBHOOK_ALLOWED_HOSTS: 'must be a comma-separated list of host names, IP addresses or CIDR ranges such as 10.0.0.0/8',
  WEBHOOK_BODY_LIMIT_BYTES: 'must be a whole number of bytes from 1024 to 10485760',
  WEBHOOK_RATE_LIMIT: 'must be a whole number of requests per minute from 1 to 1000000',
  RATE_LIMIT_PER_TOKEN: 'must be a whole number of requests a minute per token from 0 (no limit) to 1000000',
  RATE_LIMIT_PER_IP: 'must be a whole number of unauthenticated or failed requests a minute per address from 0 (no limit) to 1000000',
  WEBHOOK_SECRET_GRACE: 'must be a positive ISO 8601 duration such as PT24H',
  WEBHOOK_TIMEOUT_MS: 'must be a whole number of milliseconds from 100 to 120000',
  WEBHOOK_RETRY_BASE: 'must be a positive ISO 8601 duration such as PT10S',
  WEBHOOK_RETRY_MAX_DELAY: 'must be a positive ISO 8601 duration such as PT4H',
  WEBHOOK_RETRY_FOR: 'must be a positive ISO 8601 duration such as P1D',
  WEBHOOK_DISABLE_AFTER: 'must be a positive ISO 8601 duration such as P1D',
  WEBHOOK_DISABLE_AFTER_FAILURES: 'must be a whole number from 1 to 1000000',
  WORKER_METRICS_PORT: 'must be a whole number from 0 to 65535',
  IDEMPOTENCY_KEY_RETENTION: 'must be an ISO 8601 duration of at least one day such as P30D',
  HOUSEKEEPING_EVERY: 'must be a positive ISO 8601 duration such as PT15M',
  WEBHOOK_DELIVERY_RETENTION: 'must be a positive ISO 8601 duration such as P30D',
  CACHE_TTL: 'must be an ISO 8601 duration above zero and at most one minute, such as PT1S',
  TIMER_HORIZON: 'must be an ISO 8601 duration of at least 10 seconds such as PT5M',
  TIMER_LOAD_EVERY: 'must be a positive ISO 8601 duration at most a quarter of the timer horizon, such as PT5S',
  NOTIFY_LOAD_EVERY: 'must be a positive ISO 8601 duration such as PT1S (how long a new message to a customer waits for its job at most)',
  REPORT_REFRESH_EVERY: 'must be a positive ISO 8601 duration such as PT1S (how often a worker rebuilds the report rows of changed complaints)',
  SMTP_URL: 'must be an smtp:// or smtps:// URL (credentials may go in it), or unset for no email',
  NOTIFY_FROM: 'must be an email sender such as Hotline <no-reply@example.com>',
  SMS_WEBHOOK_URL: 'must be an http:// or https:// URL of the SMS gateway, or unset for no SMS',
  SMS_WEBHOOK_SECRET: 'must be the gateway\'s Standard Webhooks secret (whsec_ and base64), set whenever SMS_WEBHOOK_URL is',
  DEFAULT_LANGUAGE: 'must be zh-CN or en',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'must be the http:// or https:// URL of an OTLP/HTTP collector (traces go to /v1/traces under it), or unset for no tracing',
  OTEL_SERVICE_NAME: 'must be a name of 1 to 255 characters, or unset for hotline, hotline-api or hotline-worker by command',
}

/** Values shown back in the error; URLs and tokens may hold secrets and are never echoed. */
const ECHOED = new Set<Variable>(['HOST', 'PORT', 'RECONCILE_EVERY', 'LOG_LEVEL', 'BODY_LIMIT_BYTES', 'DEFAULT_PHONE_COUNTRY',
  'QUEUE_PREFIX', 'WORKER_CONCURRENCY', 'WORKER_LOCK_MS', 'DATABASE_POOL_SIZE', 'DATABASE_PREPARED_STATEMENTS', 'WEBHOOK_ALLOWED_HOSTS',
  'WEBHOOK_BODY_LIMIT_BYTES', 'WEBHOOK_RATE_LIMIT', 'RATE_LIMIT_PER_TOKEN', 'RATE_LIMIT_PER_IP', 'WEBHOOK_SECRET_GRACE', 'WEBHOOK_TIMEOUT_MS', 'WEBHOOK_RETRY_BASE',
  'WEBHOOK_RETRY_MAX_DELAY', 'WEBHOOK_RETRY_FOR', 'WEBHOOK_DISABLE_AFTER', 'WEBHOOK_DISABLE_AFTER_FAILURES',
  'WORKER_METRICS_PORT', 'IDEMPOTENCY_KEY_RETENTION', 'HOUSEKEEPING_EVERY', 'WEBHOOK_DELIVERY_RETENTION', 'CACHE_TTL',
  'TIMER_HORIZON', 'TIMER_LOAD_EVERY', 'NOTIFY_LOAD_EVERY', 'REPORT_REFRESH_EVERY', 'NOTIFY_FROM', 'DEFAULT_LANGUAGE', 'OTEL_SERVICE_NAME'])
const INTEGERS = new Set<Variable>(['PORT', 'BODY_LIMIT_BYTES', 'WORKER_CONCURRENCY', 'WORKER_LOCK_MS', 'DATABASE_POOL_SIZE', 'DATABASE_PREPARED_STATEMENTS',
  'WEBHOOK_BODY_LIMIT_BYTES', 'WEBHOOK_RATE_LIMIT', 'RATE_LIMIT_PER_TOKEN', 'RATE_LIMIT_PER_IP', 'WEBHOOK_TIMEOUT_MS', 'WEBHOOK_DISABLE_AFTER_FAILURES', 'WORKER_METRICS_PORT'])

const URLS = new Set<Variable>(['DATABASE_URL', 'REDIS_URL'])
/** URLs that need no embedded fallback: checked for being URLs at all. */
const PLAIN_URLS = ['SMTP_URL', 'SMS_WEBHOOK_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const
/** What NOTIFY_FROM must hold: an address, bare or in angle brackets after a display name. */
const SENDER = /^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/
/** DATABASE_URL or REDIS_URL set to this: the embedded service, as when unset. */
export const EMBEDDED = 'embedded'

export class ProductionUrlsError extends ConfigError {
  override name = 'ProductionUrlsError'
}

/**
 * `api` and `worker` run in production, apart from each other: the embedded services belong to one `start`
 * process, so both URLs must name real servers.
 */
export function requireServerUrls(config: LoadedConfig, command: string): Config {
  const { DATABASE_URL, REDIS_URL } = config
  if (DATABASE_URL === undefined || REDIS_URL === undefined) {
    const missing = [DATABASE_URL === undefined ? 'DATABASE_URL' : '', REDIS_URL === undefined ? 'REDIS_URL' : ''].filter(Boolean).join(' and ')
    throw new ProductionUrlsError(
      `\`${command}\` needs explicit DATABASE_URL and REDIS_URL (${missing} ${missing.includes(' and ') ? 'are' : 'is'} unset or embedded): ` +
        'the embedded services are for `start` only',
    )
  }
  return { ...config, DATABASE_URL, REDIS_URL }
}

/** Each entry of WEBHOOK_ALLOWED_HOSTS: a host name, an IP address, or a CIDR range. */
export function validAllowedHost(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/')
  if (rest.length > 0 || !address) return false
  if (prefix === undefined) return isIP(address) !== 0 || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(address)
  const family = isIP(address)
  if (family === 0 || !/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return false
  try {
    new BlockList().addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6')
    return true
  } catch {
    return false
  }
}

export function allowedHostList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean)
}

/**
 * Reads and validates the environment; throws a ConfigError naming every bad variable. DATABASE_URL and REDIS_URL
 * come back undefined when unset or `embedded`: the caller starts the embedded services (src/embedded/services.ts).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const known = Object.keys(ConfigSchema.properties) as Variable[]
  const given: Partial<Record<Variable, string>> = {}
  for (const key of known) {
    const value = env[key]
    if (value !== undefined && value !== '') given[key] = value
  }
  const bad = new Set<Variable>()
  // Value.Convert would truncate "3000.5" to 3000: whole numbers are checked before conversion.
  for (const key of INTEGERS) {
    if (given[key] !== undefined && !/^\s*\d+\s*$/.test(given[key])) bad.add(key)
  }
  for (const key of URLS) {
    if (given[key] === EMBEDDED) delete given[key]
    else if (given[key] !== undefined && !URL.canParse(given[key])) bad.add(key)
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, { ...given })) as RawConfig
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    const key = error.instancePath.replace(/^\//, '').split('/')[0] as Variable
    bad.add(known.includes(key) ? key : (error.instancePath as Variable))
  }
  const millis = {} as Record<`${DurationVariable}_MS`, number>
  for (const key of DURATIONS) {
    const value = withDefaults[key]
    const duration = typeof value === 'string' ? Duration.fromISO(value) : undefined
    const ms = duration?.isValid ? duration.toMillis() : 0
    if (!(ms > 0)) bad.add(key)
    millis[`${key}_MS`] = ms
  }
  if (millis.IDEMPOTENCY_KEY_RETENTION_MS < MIN_IDEMPOTENCY_KEY_RETENTION_MS) bad.add('IDEMPOTENCY_KEY_RETENTION')
  if (millis.CACHE_TTL_MS > MAX_CACHE_TTL_MS) bad.add('CACHE_TTL')
  if (millis.TIMER_HORIZON_MS < MIN_TIMER_HORIZON_MS) bad.add('TIMER_HORIZON')
  // The loader must pass several times while a timer crosses the horizon: a loader that dies is replaced within one
  // interval and the timer still enters the queue long before it is due.
  else if (millis.TIMER_LOAD_EVERY_MS * 4 > millis.TIMER_HORIZON_MS) bad.add('TIMER_LOAD_EVERY')
  if (!allowedHostList(withDefaults.WEBHOOK_ALLOWED_HOSTS).every(validAllowedHost)) bad.add('WEBHOOK_ALLOWED_HOSTS')
  for (const key of PLAIN_URLS) if (given[key] !== undefined && !URL.canParse(given[key])) bad.add(key)
  if (typeof withDefaults.NOTIFY_FROM === 'string' && !SENDER.test(withDefaults.NOTIFY_FROM.trim())) bad.add('NOTIFY_FROM')
  if (given.SMS_WEBHOOK_URL !== undefined && given.SMS_WEBHOOK_SECRET === undefined) bad.add('SMS_WEBHOOK_SECRET')

  if (bad.size > 0) {
    const problems = known.filter((key) => bad.has(key)).map((key) => {
      const value = given[key]
      const shown = ECHOED.has(key) && value !== undefined ? `=${JSON.stringify(value.slice(0, 60))}` : ''
      return `${key}${shown} ${EXPECTED[key]}`
    })
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  }
  const rest: Partial<RawConfig> = { ...withDefaults }
  for (const key of DURATIONS) delete rest[key]
  return { ...(rest as Omit<RawConfig, DurationVariable>), ...millis }
}

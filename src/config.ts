import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { Duration } from 'luxon'

const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))

export const ConfigSchema = Type.Object({
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://postgres@127.0.0.1:5432/hotline' }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOTLINE_BOOTSTRAP_ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  RECONCILE_EVERY: Type.String({ default: 'PT1M' }),
  LOG_LEVEL: Type.Union(LogLevel.anyOf, { default: 'info' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 262_144 }),
  DEFAULT_PHONE_COUNTRY: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
})

export type RawConfig = Static<typeof ConfigSchema>
export interface Config extends Omit<RawConfig, 'RECONCILE_EVERY'> {
  RECONCILE_EVERY_MS: number
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(ConfigSchema.properties)
  const input: Record<string, unknown> = {}
  for (const key of known) {
    const value = env[key]
    if (value !== undefined && value !== '') input[key] = value
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, input))
  const errors = [...Value.Errors(ConfigSchema, withDefaults)]
  const problems = errors.map((e) => `${e.instancePath.replace(/^\//, '') || 'environment'}: ${e.message}`)
  const raw = withDefaults as RawConfig
  let reconcileMs = 0
  if (errors.length === 0) {
    const duration = Duration.fromISO(raw.RECONCILE_EVERY)
    reconcileMs = duration.isValid ? duration.toMillis() : 0
    if (reconcileMs <= 0) problems.push(`RECONCILE_EVERY: must be a positive ISO 8601 duration such as PT1M`)
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${[...new Set(problems)].join('; ')}`)
  }
  const { RECONCILE_EVERY: _unused, ...rest } = raw
  return { ...rest, RECONCILE_EVERY_MS: reconcileMs }
}

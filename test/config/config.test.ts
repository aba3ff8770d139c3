import t from 'tap'
import { ConfigError, loadConfig, requireServerUrls } from '../../src/config.js'

t.test('defaults match the contract', async (t) => {
  const config = loadConfig({})
  // The contract's "Running it anywhere": unset means the embedded Postgres and Redis (started by `start`).
  t.equal(config.DATABASE_URL, undefined, 'unset: the embedded Postgres')
  t.equal(config.REDIS_URL, undefined, 'unset: the embedded Redis')
  t.equal(config.HOST, '127.0.0.1')
  t.equal(config.PORT, 3000)
  t.equal(config.HOTLINE_BOOTSTRAP_ADMIN_TOKEN, undefined)
  t.equal(config.RECONCILE_EVERY_MS, 60_000, 'PT1M')
  t.equal(config.LOG_LEVEL, 'info')
  t.equal(config.IDEMPOTENCY_KEY_RETENTION_MS, 30 * 86_400_000, 'P30D')
  t.equal(config.HOUSEKEEPING_EVERY_MS, 15 * 60_000, 'PT15M')
  t.equal(config.WEBHOOK_DELIVERY_RETENTION_MS, 30 * 86_400_000, 'P30D')
  t.equal(config.WORKER_METRICS_PORT, undefined, 'a worker serves no metrics of its own unless told')
  t.equal(config.CACHE_TTL_MS, 1_000, 'PT1S: another process sees a change within a second')
  t.equal(config.TIMER_HORIZON_MS, 5 * 60_000, 'PT5M: Redis holds the deadlines due within five minutes')
  t.equal(config.TIMER_LOAD_EVERY_MS, 5_000, 'PT5S')
  t.same(loadConfig({ PORT: '', LOG_LEVEL: '' }), config, 'an empty variable counts as unset')
})

t.test('good values are read and converted', async (t) => {
  const config = loadConfig({
    DATABASE_URL: 'postgresql://app:pw@db:5432/hotline', REDIS_URL: 'rediss://cache:6380/2', HOST: '0.0.0.0', PORT: '8080',
    RECONCILE_EVERY: 'PT30S', LOG_LEVEL: 'debug', HOTLINE_BOOTSTRAP_ADMIN_TOKEN: 'a'.repeat(32), BODY_LIMIT_BYTES: '4096',
  })
  t.match(config, { PORT: 8080, RECONCILE_EVERY_MS: 30_000, LOG_LEVEL: 'debug', REDIS_URL: 'rediss://cache:6380/2', BODY_LIMIT_BYTES: 4096 })
  t.notOk('RECONCILE_EVERY' in config, 'the duration is given in milliseconds only')
  t.equal(loadConfig({ WORKER_METRICS_PORT: '9464' }).WORKER_METRICS_PORT, 9464)
  t.equal(loadConfig({ WORKER_METRICS_PORT: '0' }).WORKER_METRICS_PORT, 0, '0: a free port')
  t.equal(loadConfig({ CACHE_TTL: 'PT0.25S' }).CACHE_TTL_MS, 250)
  t.equal(loadConfig({ CACHE_TTL: 'PT1M' }).CACHE_TTL_MS, 60_000, 'one minute at most')
  t.match(loadConfig({ TIMER_HORIZON: 'PT1H', TIMER_LOAD_EVERY: 'PT15M' }), { TIMER_HORIZON_MS: 3_600_000, TIMER_LOAD_EVERY_MS: 900_000 })
  t.match(loadConfig({ TIMER_HORIZON: 'PT10S', TIMER_LOAD_EVERY: 'PT2.5S' }), { TIMER_HORIZON_MS: 10_000 }, 'the shortest horizon')
})

t.test('`embedded` says the same as unset, for both URLs', async (t) => {
  const config = loadConfig({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' })
  t.equal(config.DATABASE_URL, undefined)
  t.equal(config.REDIS_URL, undefined)
  t.same(config, loadConfig({}))
})

t.test('api and worker need explicit URLs', async (t) => {
  const explicit = loadConfig({ DATABASE_URL: 'postgres://app@db/hotline', REDIS_URL: 'redis://cache:6379' })
  t.match(requireServerUrls(explicit, 'api'), { DATABASE_URL: 'postgres://app@db/hotline', REDIS_URL: 'redis://cache:6379' })
  for (const env of [{}, { DATABASE_URL: 'postgres://app@db/hotline' }, { REDIS_URL: 'redis://cache:6379' }, { DATABASE_URL: 'embedded', REDIS_URL: 'redis://cache:6379' }]) {
    const error = catchError(() => requireServerUrls(loadConfig(env), 'worker'))
    t.type(error, ConfigError, JSON.stringify(env))
    t.match(error.message, /^`worker` needs explicit DATABASE_URL and REDIS_URL/)
    t.notMatch(error.message, /\n/, 'one line')
  }
})

const BAD: [variable: string, value: string, says?: RegExp][] = [
  ['PORT', 'abc', /whole number/],
  ['PORT', '70000'],
  ['PORT', '3000.5'],
  ['DATABASE_URL', 'mysql://x', /postgres/],
  ['DATABASE_URL', 'postgres://%zz:bad url'],
  ['LOG_LEVEL', 'loud', /must be one of fatal, error, warn, info, debug, trace, silent/],
  ['LOG_LEVEL', 'INFO'],
  ['RECONCILE_EVERY', 'soon', /ISO 8601 duration/],
  ['RECONCILE_EVERY', 'PT0S'],
  ['RECONCILE_EVERY', '-PT1M'],
  ['REDIS_URL', 'http://x', /redis/],
  ['HOTLINE_BOOTSTRAP_ADMIN_TOKEN', 'short'],
  ['BODY_LIMIT_BYTES', '10'],
  ['WORKER_METRICS_PORT', 'http', /whole number from 0 to 65535/],
  ['WORKER_METRICS_PORT', '70000'],
  ['WORKER_METRICS_PORT', '-1'],
  ['WORKER_METRICS_PORT', '9464.5'],
  ['IDEMPOTENCY_KEY_RETENTION', 'PT1H', /at least one day/],
  ['IDEMPOTENCY_KEY_RETENTION', 'forever'],
  ['HOUSEKEEPING_EVERY', 'P0D', /ISO 8601 duration/],
  ['WEBHOOK_DELIVERY_RETENTION', 'a month', /ISO 8601 duration/],
  ['CACHE_TTL', 'PT0S', /above zero and at most one minute/],
  ['CACHE_TTL', 'PT61S'],
  ['CACHE_TTL', 'soon'],
  ['TIMER_HORIZON', 'PT9S', /at least 10 seconds/],
  ['TIMER_HORIZON', 'later'],
  ['TIMER_LOAD_EVERY', 'PT2M', /at most a quarter of the timer horizon/],
  ['TIMER_LOAD_EVERY', 'PT0S'],
  ['NOTIFY_LOAD_EVERY', 'PT0S', /ISO 8601 duration/],
  ['RATE_LIMIT_PER_TOKEN', '-1', /from 0 \(no limit\)/],
  ['RATE_LIMIT_PER_IP', 'lots', /per address from 0/],
]

t.test('each bad variable throws a ConfigError naming it', async (t) => {
  for (const [variable, value, says] of BAD) {
    const error = catchError(() => loadConfig({ [variable]: value }))
    t.type(error, ConfigError, `${variable}=${value}`)
    t.match(error.message, new RegExp(`\\b${variable}\\b`), `${variable}=${value} names ${variable}`)
    if (says) t.match(error.message, says, `${variable}=${value} says what is expected`)
    const others = BAD.map(([v]) => v).filter((v) => v !== variable)
    for (const other of new Set(others)) t.notMatch(error.message, new RegExp(`\\b${other}\\b`), `and no other variable`)
  }
})

t.test('every bad variable is named at once', async (t) => {
  const error = catchError(() => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', RECONCILE_EVERY: 'soon', REDIS_URL: 'http://x' }))
  for (const variable of ['PORT', 'LOG_LEVEL', 'RECONCILE_EVERY', 'REDIS_URL']) t.match(error.message, variable)
})

t.test('secrets are never echoed in the error', async (t) => {
  const url = catchError(() => loadConfig({ DATABASE_URL: 'mysql://app:hunter2-secret@db/x' }))
  t.notMatch(url.message, 'hunter2')
  const token = catchError(() => loadConfig({ HOTLINE_BOOTSTRAP_ADMIN_TOKEN: 'tooShort!' }))
  t.notMatch(token.message, 'tooShort!')
  t.match(catchError(() => loadConfig({ PORT: 'abc' })).message, '"abc"', 'a harmless value is shown back')
})

function catchError(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a ConfigError, got none')
}

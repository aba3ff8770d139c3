import closeWithGrace from 'close-with-grace'
import { stringify } from 'yaml'
import { buildApp } from './app.js'
import { Metrics } from './metrics/metrics.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createLogger } from './logger.js'
import { openRuntime, prepareDatabase } from './runtime.js'
import { startServer } from './server.js'
import { startWorker } from './worker.js'

const USAGE = 'usage: cli.ts start | api | worker | migrate | openapi'

async function main(command: string | undefined): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(78)
    }
    throw error
  }
  const logger = createLogger(command === 'openapi' ? 'silent' : config.LOG_LEVEL)
  if (!command || !['start', 'api', 'worker', 'migrate', 'openapi'].includes(command)) {
    process.stderr.write(`${USAGE}\n`)
    process.exit(64)
  }
  const runtime = openRuntime(config, logger)
  if (command !== 'openapi' && command !== 'migrate' && !(await runtime.redisReady(5_000))) {
    logger.warn('redis is not reachable yet; deadlines are enqueued once it is (the reconciler re-arms them)')
  }

  if (command === 'openapi') {
    const app = await buildApp({ config, db: runtime.db, redis: runtime.redis, logger })
    await app.ready()
    process.stdout.write(stringify(app.swagger(), { lineWidth: 0 }))
    await app.close()
    await runtime.close()
    return
  }
  if (command === 'migrate' || command === 'start') await prepareDatabase(config, runtime.db, logger)
  if (command === 'migrate') {
    await runtime.close()
    return
  }

  // One process running both shares one registry, so GET /metrics on PORT shows the worker's counters too.
  const metrics = command === 'start' ? new Metrics({ db: runtime.db }) : undefined
  const api = command === 'start' || command === 'api' ? await startServer(config, runtime, logger, metrics) : undefined
  const worker = command === 'start' || command === 'worker' ? await startWorker(config, runtime, logger, { metrics }) : undefined

  closeWithGrace({ delay: 20_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error')
    else logger.info({ signal }, 'shutting down')
    await api?.close()
    await worker?.close()
    await runtime.close()
  })
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`hotline: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

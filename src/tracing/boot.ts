import { loadEnvFile } from '../cli/env-file.js'
import { loadConfig } from '../config.js'

/** The service name by process role, when OTEL_SERVICE_NAME does not say. Other commands are not traced. */
const SERVICE_NAMES: Record<string, string> = { start: 'hotline', api: 'hotline-api', worker: 'hotline-worker' }

let shutdown: (() => Promise<void>) | undefined

/**
 * Starts tracing for a long-running command when OTEL_EXPORTER_OTLP_ENDPOINT is set. The CLI calls it before it
 * imports the app (cli.ts), so the instrumented modules load after their hooks. Unset, nothing is imported: sdk.ts,
 * and every OpenTelemetry module with it, is only ever loaded from here.
 */
export async function startTracing(command: string | undefined): Promise<void> {
  const role = command === undefined ? undefined : SERVICE_NAMES[command]
  if (role === undefined) return
  let config
  try {
    // .env may set the OTEL_ variables; a bad environment is left for the command to report as it always has.
    loadEnvFile()
    config = loadConfig()
  } catch {
    return
  }
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return
  const { startSdk } = await import('./sdk.js')
  shutdown = await startSdk(config.OTEL_SERVICE_NAME ?? role)
}

/** Flushes the spans not yet exported; part of the graceful close. */
export async function stopTracing(): Promise<void> {
  await shutdown?.()
  shutdown = undefined
}

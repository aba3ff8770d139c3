import { register } from 'node:module'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import type { Span } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { NodeSDK } from '@opentelemetry/sdk-node'
import type { FastifyRequest } from 'fastify'
import { createAddHookMessageChannel } from 'import-in-the-middle'
import { installTracer } from './context.js'
import { openTelemetryTracer } from './spans.js'

/** Probes and scrapes would be most of the spans and tell nothing. */
const UNTRACED_ROUTES = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * Starts the OpenTelemetry SDK. It must run before pg, ioredis and fastify are imported: the app is ESM, so pg and
 * ioredis are patched through import-in-the-middle's loader hook, registered here for just the modules the
 * instrumentations hook (no other import is intercepted); fastify is instrumented by @fastify/otel on its
 * `fastify.initialization` diagnostics channel, with no patching. The exporter, sampler and batch settings come from
 * the standard OTEL_* variables, read by the SDK itself (docs/operations.md, Tracing).
 */
export async function startSdk(serviceName: string): Promise<() => Promise<void>> {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions)

  const sdk = new NodeSDK({
    serviceName,
    traceExporter: new OTLPTraceExporter(),
    // Traces only: metrics stay on Prometheus (/metrics) and logs on stdout; the SDK would otherwise default to OTLP.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        ignorePaths: (route) => UNTRACED_ROUTES.has(route.url),
        requestHook: (span: Span, request: FastifyRequest) => span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`),
      }),
      // Only inside a request or a job: the loops that poll Postgres and BullMQ's blocking reads would be traces of
      // their own, thousands a minute.
      new PgInstrumentation({ requireParentSpan: true }),
      // The command's name, never its arguments (they may hold a customer's data).
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  })
  sdk.start()
  await waitForAllMessagesAcknowledged()
  installTracer(openTelemetryTracer())
  return async () => {
    installTracer(undefined)
    await sdk.shutdown()
  }
}

import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api'
import type { SpanOptions, TraceCarrier, Tracer } from './context.js'

const KINDS = { consumer: SpanKind.CONSUMER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL } as const

const linkOf = (carrier: TraceCarrier | undefined): Link[] => {
  const spanContext = carrier && trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier))
  return spanContext ? [{ context: spanContext }] : []
}

/** The Tracer of context.ts on the OpenTelemetry API (loaded only when tracing is on). */
export function openTelemetryTracer(): Tracer {
  const tracer = trace.getTracer('hotline')
  return {
    current: () => {
      const carrier: Partial<TraceCarrier> = {}
      propagation.inject(context.active(), carrier)
      return carrier.traceparent ? (carrier as TraceCarrier) : undefined
    },
    inSpan: (name, options: SpanOptions, work) => {
      const { detached } = options
      const parent = !detached ? context.active() : detached.parent ? propagation.extract(ROOT_CONTEXT, detached.parent) : ROOT_CONTEXT
      const links = detached?.links?.flatMap(linkOf) ?? []
      return tracer.startActiveSpan(name, { kind: KINDS[options.kind], links, attributes: options.attributes }, parent, async (span) => {
        try {
          return await work()
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error))
          span.setStatus({ code: SpanStatusCode.ERROR })
          throw error
        } finally {
          span.end()
        }
      })
    },
  }
}

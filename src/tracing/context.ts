/**
 * What the rest of the code knows of tracing. Nothing here imports OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT
 * unset no tracer is installed, every function below is a check of one variable, and no OpenTelemetry module is
 * loaded at all (boot.ts). When it is set, sdk.ts installs the tracer before the app's modules load.
 */

/** A W3C trace context as it rides in a job's data or a request's headers. */
export interface TraceCarrier {
  traceparent: string
  tracestate?: string
}

/** A job's data may carry the context of the span that enqueued it. */
export interface TracedJob {
  trace?: TraceCarrier
}

export interface SpanOptions {
  kind: 'consumer' | 'client' | 'internal'
  /**
   * The span does not continue the active context: it is the child of the carried `parent` (a job's enqueuer), or
   * starts a trace of its own that links to `links` (a batch serving many jobs), or both absent: a new trace.
   */
  detached?: { parent?: TraceCarrier; links?: (TraceCarrier | undefined)[] }
  attributes?: Record<string, string | number>
}

export interface Tracer {
  /** The active span's context, or undefined when there is none. */
  current: () => TraceCarrier | undefined
  inSpan: <T>(name: string, options: SpanOptions, work: () => Promise<T>) => Promise<T>
}

let tracer: Tracer | undefined

export function installTracer(installed: Tracer | undefined): void {
  tracer = installed
}

export function tracingEnabled(): boolean {
  return tracer !== undefined
}

/** The active span's context (for a job's data or an outbound request's headers), or undefined. */
export function currentTrace(): TraceCarrier | undefined {
  return tracer?.current()
}

/** Spread into a job's data: `{ trace }` while a span is active, nothing otherwise (a loader's job carries nothing). */
export function withTrace(): TracedJob {
  const trace = tracer?.current()
  return trace ? { trace } : {}
}

export function inSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  return tracer ? tracer.inSpan(name, options, work) : work()
}

interface TracedJobView {
  queueName: string
  name: string
  id?: string
  data: TracedJob
}

/**
 * A BullMQ processor whose every job runs in a `<queue> process` span, the child of the context its enqueuer
 * carried in the job. Untraced, the processor itself is answered, so the worker's path does not change.
 */
export function tracedProcessor<J extends TracedJobView, A extends unknown[], R>(process: (job: J, ...rest: A) => Promise<R>): (job: J, ...rest: A) => Promise<R> {
  const active = tracer
  if (!active) return process
  return (job, ...rest) =>
    active.inSpan(`${job.queueName} process`, {
      kind: 'consumer',
      detached: { parent: job.data.trace },
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': job.queueName,
        'messaging.message.id': job.id ?? '',
        'hotline.job.name': job.name,
      },
    }, () => process(job, ...rest))
}

import { NodeSDK, tracing } from '@opentelemetry/sdk-node'
import t from 'tap'
import { Batcher } from '../../src/timers/batcher.js'
import { startTracing, stopTracing } from '../../src/tracing/boot.js'
import { currentTrace, inSpan, installTracer, tracedProcessor, tracingEnabled, withTrace, type TracedJob } from '../../src/tracing/context.js'
import { openTelemetryTracer } from '../../src/tracing/spans.js'

const job = (data: TracedJob) => ({ queueName: 'timers', name: 'triage', id: 'c1.triage.1', data })

// In this process, the SDK with an in-memory exporter: the tracer of context.ts on the real API, without the loader
// hooks and exporter that sdk.ts adds (test/tracing/tracing.test.ts runs those, in child processes).
t.test('untraced, every helper is a pass-through', async (t) => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  await startTracing('migrate')
  await startTracing('api')
  t.notOk(tracingEnabled(), 'OTEL_EXPORTER_OTLP_ENDPOINT is unset: nothing started')
  await stopTracing()
  const processor = async () => 'done'
  t.equal(tracedProcessor(processor), processor, 'the processor itself')
  t.same(withTrace(), {}, 'no trace in job data')
  t.equal(currentTrace(), undefined)
  t.equal(await inSpan('x', { kind: 'internal' }, async () => 7), 7)
})

t.test('traced, jobs continue their enqueuer and a batch links to every job', async (t) => {
  const exporter = new tracing.InMemorySpanExporter()
  const sdk = new NodeSDK({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)], instrumentations: [], metricReaders: [], logRecordProcessors: [], autoDetectResources: false })
  sdk.start()
  installTracer(openTelemetryTracer())
  t.teardown(async () => {
    installTracer(undefined)
    await sdk.shutdown()
  })
  const spans = () => exporter.getFinishedSpans()
  const named = (name: string) => spans().filter((s) => s.name === name)

  t.same(withTrace(), {}, 'no active span: nothing carried')
  const carried = await inSpan('request', { kind: 'internal' }, async () => withTrace())
  const [request] = named('request')
  t.equal(carried.trace?.traceparent, `00-${request!.spanContext().traceId}-${request!.spanContext().spanId}-01`, "the active span's context goes in the job")

  const seen: (string | undefined)[] = []
  const process = tracedProcessor(async (_job: ReturnType<typeof job>) => {
    seen.push(currentTrace()?.traceparent)
    return 'fired'
  })
  t.equal(await process(job(carried)), 'fired')
  t.equal(await process(job({})), 'fired')
  const [continued, fresh] = named('timers process')
  t.equal(continued!.spanContext().traceId, request!.spanContext().traceId, "a job runs in its enqueuer's trace")
  t.equal(continued!.parentSpanContext?.spanId, request!.spanContext().spanId, '...as the child of the span that enqueued it')
  t.equal(continued!.attributes['messaging.destination.name'], 'timers')
  t.not(fresh!.spanContext().traceId, request!.spanContext().traceId, 'a job that carried nothing starts a trace of its own')
  t.equal(fresh!.parentSpanContext, undefined)
  t.ok(seen.every(Boolean), 'the processor runs with its job span active')

  const batcher = new Batcher<string>(async (ids) => new Map(ids.map((id) => [id, id])), 10, 5, Number.POSITIVE_INFINITY, 'timers fire')
  const traced = tracedProcessor(async (j: ReturnType<typeof job>) => batcher.add(j.id))
  await Promise.all([traced(job(carried)), traced(job({}))])
  const [batch] = named('timers fire')
  const jobs = named('timers process').slice(2)
  t.equal(batch!.links.length, 2, 'one batch for both jobs')
  t.same(new Set(batch!.links.map((l) => l.context.spanId)), new Set(jobs.map((s) => s.spanContext().spanId)), 'linked to each job it served')
  t.ok(jobs.every((s) => s.spanContext().traceId !== batch!.spanContext().traceId), 'in a trace of its own')

  const failure = inSpan('send', { kind: 'client', detached: { parent: carried.trace, links: [undefined] } }, async () => {
    throw new Error('refused')
  })
  await t.rejects(failure, /refused/)
  const [send] = named('send')
  t.equal(send!.status.code, 2, 'a failure marks the span as an error')
  t.equal(send!.events[0]?.name, 'exception', 'and records the exception')
  t.equal(send!.spanContext().traceId, request!.spanContext().traceId, 'a detached span continues the carried context')
})

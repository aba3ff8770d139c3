import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { EVENT_TYPES } from '../../src/webhooks/events.js'
import { aComplaint } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'
import { setupWebhookApp, startReceiver } from '../webhooks/fixtures/webhooks.js'
import { callChild, startHotline } from './fixtures/hotline-child.js'
import { descendantsOf, SPAN_KIND, startOtlpReceiver, type ExportedSpan } from './fixtures/otlp-receiver.js'

const traceIdOf = (traceparent: unknown) => (typeof traceparent === 'string' ? traceparent.split('-')[1] : undefined)

t.test('traced: a request, the jobs it enqueued and the webhooks they sent share their traces', async (t) => {
  const testApp = await setupWebhookApp(t)
  const otlp = await startOtlpReceiver(t)
  const webhooks = await startReceiver(t)
  const agent = await testApp.user('agent')
  await testApp.user('supervisor')
  const hotline = await startHotline(t, testApp, 'start', { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '100' })

  const endpoint = await callChild(hotline, 'POST', '/v1/webhook-endpoints', testApp.admin, { url: webhooks.url, events: [...EVENT_TYPES] })
  t.equal(endpoint.status, 201)
  webhooks.setSecret(endpoint.json.secret as string)
  const created = await callChild(hotline, 'POST', '/v1/complaints', agent, aComplaint())
  t.equal(created.status, 201)
  const escalated = await callChild(hotline, 'POST', `/v1/complaints/${created.json.id}/escalate`, agent, { reason: 'the customer asks for a manager' })
  t.equal(escalated.status, 200)

  const serverSpan = (name: string) => otlp.spans.find((s) => s.kind === SPAN_KIND.SERVER && s.name === name)
  const intake = await waitFor(async () => serverSpan('POST /v1/complaints'), 30_000, "the intake's server span")
  t.equal(intake.service, 'hotline', 'the service is named by the process role')
  const below = await waitFor(async () => {
    const spans = descendantsOf(otlp.spans, intake)
    return spans.some((s) => s.scope.endsWith('instrumentation-pg')) && spans.some((s) => s.scope.endsWith('instrumentation-ioredis')) && spans
  }, 30_000, "the intake's pg and ioredis spans")
  t.ok(below.some((s) => s.scope.endsWith('instrumentation-pg') && s.kind === SPAN_KIND.CLIENT), 'a pg span below the request')
  t.ok(below.some((s) => s.scope.endsWith('instrumentation-ioredis') && s.kind === SPAN_KIND.CLIENT), 'an ioredis span below the request')

  const escalation = await waitFor(async () => serverSpan('POST /v1/complaints/:id/escalate'), 30_000, "the escalation's server span")
  const routingJob = await waitFor(async () => otlp.spans.find((s) => s.name === 'escalations process' && s.traceId === escalation.traceId), 60_000,
    'the routing job in the trace of the request that enqueued it')
  t.equal(routingJob.kind, SPAN_KIND.CONSUMER)
  t.ok(descendantsOf(otlp.spans, escalation).includes(routingJob), "the routing job's span descends from the escalation request")
  const batch = await waitFor(async () => otlp.spans.find((s) => s.name === 'escalations fire' && s.links.some((l) => l.spanId === routingJob.spanId)), 30_000,
    'the routing batch linked to the job')
  t.not(batch.traceId, escalation.traceId, 'a batch starts its own trace, linked to each job it serves')

  // received and logged at intake, escalated, then whatever the routing wrote.
  await waitFor(async () => webhooks.accepted().length >= 3, 60_000, 'the webhooks')
  const sent = await waitFor(async () => {
    const traced = webhooks.received.map((r) => traceIdOf(r.headers.traceparent))
    const exported = new Set(otlp.spans.filter((s) => s.name === 'webhook send').map((s) => s.traceId))
    return traced.every((id) => id !== undefined && exported.has(id)) && traced
  }, 30_000, 'a trace exported for every webhook request')
  t.ok(webhooks.received.every((r) => r.verified), 'every webhook is signed')
  t.ok(sent.includes(intake.traceId), "an intake's webhook carries the intake's trace")
  t.ok(sent.includes(escalation.traceId), "the escalation's webhook carries its request's trace")
  const sendSpans = otlp.spans.filter((s: ExportedSpan) => s.name === 'webhook send')
  t.ok(sendSpans.every((s) => s.kind === SPAN_KIND.CLIENT), 'each request is a client span')
  t.ok(webhooks.received.every((r) => sendSpans.some((s) => r.headers.traceparent === `00-${s.traceId}-${s.spanId}-01`)),
    "each webhook's traceparent names its request's span")

  t.equal(await hotline.stop(), 0, 'SIGTERM closes the process gracefully, tracing flushed')
})

t.test('untraced: with OTEL_EXPORTER_OTLP_ENDPOINT unset no OpenTelemetry module loads and no span leaves', async (t) => {
  const testApp = await setupWebhookApp(t)
  const otlp = await startOtlpReceiver(t)
  const agent = await testApp.user('agent')
  const imports = join(await mkdtemp(join(tmpdir(), 'hotline-imports-')), 'imports.txt')
  const recorder = new URL('./fixtures/record-imports.mjs', import.meta.url).pathname
  // Every other way of pointing the SDK at the receiver is set: only the endpoint turns tracing on.
  const hotline = await startHotline(t, testApp, 'start', {
    HOTLINE_TEST_IMPORTS_FILE: imports, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, OTEL_SERVICE_NAME: 'hotline-untraced',
  }, ['--import', recorder])

  const created = await callChild(hotline, 'POST', '/v1/complaints', agent, aComplaint())
  t.equal(created.status, 201)
  t.equal(await hotline.stop(), 0, 'SIGTERM closes the process gracefully')

  const loaded = (await readFile(imports, 'utf8')).split('\n')
  t.ok(loaded.some((url) => url.includes('/node_modules/pg/')), 'the recorder saw the app load pg')
  t.same(loaded.filter((url) => /\/node_modules\/(@opentelemetry|@fastify\/otel|import-in-the-middle)\//.test(url)), [], 'no OpenTelemetry module was loaded')
  t.equal(otlp.requests(), 0, 'nothing was exported')
})

import { spawnSync } from 'node:child_process'
import pino from 'pino'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { createDb } from '../../src/db/database.js'
import { Metrics } from '../../src/metrics/metrics.js'
import { serveMetrics } from '../../src/metrics/metrics.server.js'
import { startTimerWorkers } from '../../src/timers/timer.worker.js'
import { DeliveryQueue } from '../../src/webhooks/delivery-queue.js'
import { startDeliveryWorker } from '../../src/webhooks/delivery.worker.js'
import { webhookSettings } from '../../src/webhooks/settings.js'
import { aComplaint, REDIS_URL, setupApp, type TestApp } from '../helpers/app.js'
import { fastPolicy, waitFor } from '../helpers/worker.js'
import { FAST, setupWebhookApp, startReceiver } from '../webhooks/fixtures/webhooks.js'
import { parseScrape, type Scrape } from './fixtures/prometheus.js'
import { commitPipeline } from '../../src/commit-pipeline.js'

async function scrape(t: Test, testApp: Pick<TestApp, 'call'>): Promise<Scrape> {
  const response = await testApp.call('GET', '/metrics', null)
  t.equal(response.statusCode, 200, 'GET /metrics answers 200 without a token')
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  return parseScrape(response.body) // throws on anything that is not well-formed text format 0.0.4
}

/** The timer workers of src/worker.ts, in this process, recording into the app's registry (as `npm start` would). */
function startTimersWithMetrics(t: Test, testApp: TestApp, metrics: Metrics) {
  const pipeline = commitPipeline(testApp.redis, testApp.prefix, { metrics })
  const workers = startTimerWorkers({
    db: testApp.db, redisUrl: REDIS_URL, prefix: testApp.prefix, concurrency: 8, lockDuration: 5_000,
    logger: pino({ level: 'silent' }),
    afterCommit: pipeline.afterCommit,
    metrics,
  })
  t.teardown(async () => {
    await workers.close()
    await pipeline.close()
  })
}

const http = (method: string, route: string, status: number) => ({ method, route, status_code: String(status) })

t.test('GET /metrics is Prometheus text, and its counters move when complaints move', async (t) => {
  const testApp = await setupApp(t)
  const { call, user } = testApp
  const agent = await user('agent')
  const before = await scrape(t, testApp)
  for (const name of ['hotline_http_request_duration_seconds', 'hotline_transitions_total', 'hotline_deadlines_missed_total',
    'hotline_timer_lateness_seconds', 'hotline_webhook_deliveries_total', 'hotline_complaints', 'hotline_queue_jobs',
    'hotline_metrics_source_up', 'hotline_report_notes_pending', 'process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds']) {
    t.ok(before.family(name), `${name} is exposed`)
  }
  t.equal(before.family('hotline_http_request_duration_seconds')?.type, 'histogram')
  t.equal(before.family('hotline_transitions_total')?.type, 'counter')
  t.equal(before.family('hotline_complaints')?.type, 'gauge')
  t.equal(before.value('hotline_complaints', { state: 'follow_up' }), 0, 'every state is reported, 0 when empty')
  t.equal(before.value('hotline_transitions_total', { type: 'complaint.resolved' }), 0, 'known transition types start at 0')

  const created = await call('POST', '/v1/complaints', agent, aComplaint())
  t.equal(created.statusCode, 201)
  const { id } = created.json()
  const middle = await scrape(t, testApp)
  t.equal(middle.value('hotline_complaints', { state: 'logged' }), before.value('hotline_complaints', { state: 'logged' }) + 1)
  t.equal(middle.value('hotline_transitions_total', { type: 'complaint.received' }), 1)
  t.equal(middle.value('hotline_transitions_total', { type: 'complaint.logged' }), 1)
  t.equal(middle.value('hotline_report_notes_pending'), before.value('hotline_report_notes_pending') + 1,
    'the new complaint\'s report row waits for a refresh (no worker runs here)')
  t.equal(middle.value('hotline_queue_jobs', { queue: 'timers', state: 'delayed' }), 0,
    'the response deadline and its warning, hours away, wait in Postgres (beyond TIMER_HORIZON), not in Redis')

  t.equal((await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'replaced the kettle' })).statusCode, 200)
  t.equal((await call('GET', `/v1/complaints/${id}`, agent)).statusCode, 200)
  t.equal((await call('GET', '/nowhere/at/all', null)).statusCode, 404)
  const after = await scrape(t, testApp)

  t.equal(after.value('hotline_transitions_total', { type: 'complaint.resolved' }), 1, 'transitions{type="complaint.resolved"} moved')
  t.equal(after.value('hotline_complaints', { state: 'follow_up' }), before.value('hotline_complaints', { state: 'follow_up' }) + 1)
  t.equal(after.value('hotline_complaints', { state: 'logged' }), before.value('hotline_complaints', { state: 'logged' }))
  const duration = 'hotline_http_request_duration_seconds'
  t.equal(after.histogram(duration, http('POST', '/v1/complaints', 201)).count, 1, 'the create is counted under its route')
  t.equal(after.histogram(duration, http('POST', '/v1/complaints/:id/resolve', 200)).count, 1, 'the route pattern, not the URL')
  t.equal(after.histogram(duration, http('GET', '/v1/complaints/:id', 200)).count, 1)
  t.equal(after.histogram(duration, http('GET', '/nowhere/at/all', 404)).count, 0)
  t.equal(after.histogram(duration, http('GET', 'unmatched', 404)).count, 1, 'unknown URLs share one series')
  t.ok(after.histogram(duration, http('POST', '/v1/complaints', 201)).sum > 0, 'durations are observed')
  t.ok(after.histogram(duration, http('GET', '/metrics', 200)).count >= 2, 'scrapes are requests too')
  t.notOk(after.text.includes(id), 'no series is labelled with a complaint id')

  for (const queue of ['timers', 'escalations', 'webhooks']) {
    for (const state of ['waiting', 'delayed', 'active', 'failed']) {
      t.equal(after.samples('hotline_queue_jobs', { queue, state }).length, 1, `queue depth of ${queue} ${state}`)
    }
  }
  t.equal(after.value('hotline_metrics_source_up', { source: 'postgres' }), 1)
  t.equal(after.value('hotline_metrics_source_up', { source: 'redis' }), 1)
})

t.test('a timer firing moves the lateness histogram and deadlines missed', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin, app } = testApp
  t.equal((await call('PUT', '/v1/sla-policies', admin, fastPolicy({ escalationAck: 'PT1H' }))).statusCode, 200)
  const agent = await user('agent')
  await user('supervisor', { level: 1 })
  const before = await scrape(t, testApp)
  startTimersWithMetrics(t, testApp, app.metrics)
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await waitFor(async () => {
    const c = (await call('GET', `/v1/complaints/${id}`, agent)).json()
    return c.state === 'escalated' && c.escalation.assigneeId !== null
  }, 15_000, 'the missed response deadline to escalate and be routed')

  // The worker records a timer's metrics once its batch's after-commit work is done, a moment after the commit the
  // complaint shows: wait for the metric itself.
  const missedBefore = before.value('hotline_deadlines_missed_total', { kind: 'response' })
  const after = await waitFor(async () => {
    const scraped = await scrape(t, testApp)
    return scraped.value('hotline_deadlines_missed_total', { kind: 'response' }) > missedBefore && scraped
  }, 15_000, 'the missed deadline to be counted')
  t.equal(after.value('hotline_deadlines_missed_total', { kind: 'response' }), missedBefore + 1)
  t.equal(after.value('hotline_deadlines_missed_total', { kind: 'escalation_ack' }), 0, 'the acknowledgement deadline has not passed')
  const lateness = after.histogram('hotline_timer_lateness_seconds', { kind: 'response' })
  t.equal(lateness.count, 1, 'the response timer observed its lateness')
  t.ok(lateness.sum >= 0 && lateness.sum < 5, `lateness is plausible (${lateness.sum} s)`)
  t.equal(after.histogram('hotline_timer_lateness_seconds', { kind: 'response_warning' }).count, 1, 'the warning fired too')
  t.equal(after.value('hotline_deadlines_missed_total', { kind: 'response_warning' }), 0, 'a warning is not a miss')
  t.equal(after.value('hotline_transitions_total', { type: 'deadline.response_missed' }), 1, "the worker's transitions are counted")
  t.equal(after.value('hotline_transitions_total', { type: 'escalation.assigned' }), 1)
  t.equal(after.value('hotline_complaints', { state: 'escalated' }), 1)
})

t.test('webhook delivery outcomes are counted by the delivery worker', async (t) => {
  const testApp = await setupWebhookApp(t)
  const { call, admin, user } = testApp
  const metrics = new Metrics({ db: testApp.db, processMetrics: false })
  const receiver = await startReceiver(t, { failFirst: 1 })
  const endpoint = (await call('POST', '/v1/webhook-endpoints', admin, { url: receiver.url, events: ['complaint.logged'] })).json()
  receiver.setSecret(endpoint.secret)
  const queue = new DeliveryQueue(testApp.redis, testApp.prefix)
  const worker = startDeliveryWorker({
    db: testApp.db, queue, redisUrl: REDIS_URL, concurrency: 4, lockDuration: 5_000, settings: webhookSettings(FAST),
    logger: pino({ level: 'silent' }), metrics,
  })
  t.teardown(async () => {
    await worker.close()
    await queue.close()
  })
  const agent = await user('agent')
  await call('POST', '/v1/complaints', agent, aComplaint())
  await waitFor(async () => receiver.accepted().length === 1, 15_000, 'the delivery')
  await waitFor(async () => parseScrape(await metrics.text()).value('hotline_webhook_deliveries_total', { outcome: 'delivered' }) === 1, 5_000, 'the count')
  const scraped = parseScrape(await metrics.text())
  t.equal(scraped.value('hotline_webhook_deliveries_total', { outcome: 'retrying' }), 1, 'the refused first attempt')
  t.equal(scraped.value('hotline_webhook_deliveries_total', { outcome: 'delivered' }), 1)
  t.equal(scraped.value('hotline_webhook_deliveries_total', { outcome: 'failed' }), 0)
  t.equal(scraped.family('process_cpu_user_seconds_total'), undefined, 'process metrics can be left out')
})

t.test('a scrape still answers when Redis is away, and says so', async (t) => {
  const away = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null })
  away.on('error', () => {})
  t.teardown(() => away.disconnect())
  const testApp = await setupApp(t, { redis: away })
  const scraped = await scrape(t, testApp)
  t.equal(scraped.value('hotline_metrics_source_up', { source: 'redis' }), 0)
  t.equal(scraped.samples('hotline_queue_jobs').length, 0, 'no stale depths are reported')
  t.equal(scraped.value('hotline_metrics_source_up', { source: 'postgres' }), 1)
  t.equal(scraped.value('hotline_complaints', { state: 'logged' }), 0)
})

t.test('transitions count at commit by their history type, whether or not Postgres answers the scrape', async (t) => {
  const testApp = await setupApp(t)
  const { db } = testApp
  // A registry whose database is away: transitions still count, the scrape still answers, the gauges are down.
  const broken = createDb('postgres://postgres@127.0.0.1:1/nowhere')
  t.teardown(() => broken.destroy())
  const failing = new Metrics({ db: broken, processMetrics: false }).watchComplaints()
  failing.committed([{ historyType: 'complaint.received' }, { historyType: 'complaint.logged' }])
  const down = parseScrape(await failing.text())
  t.equal(down.value('hotline_transitions_total', { type: 'complaint.logged' }), 1)
  t.equal(down.value('hotline_metrics_source_up', { source: 'postgres' }), 0)
  t.equal(down.samples('hotline_complaints').length, 0)

  const metrics = new Metrics({ db, processMetrics: false })
  metrics.committed([{ historyType: 'complaint.received' }, { historyType: 'complaint.logged' }])
  const up = parseScrape(await metrics.text())
  t.equal(up.value('hotline_transitions_total', { type: 'complaint.received' }), 1)
  t.equal(up.value('hotline_transitions_total', { type: 'complaint.logged' }), 1)
  t.equal(up.samples('hotline_complaints').length, 0, 'a worker registry reports no complaint gauge unless asked')
  t.equal(up.samples('hotline_queue_jobs').length, 0)
  const again = parseScrape(await metrics.text())
  t.equal(again.value('hotline_transitions_total', { type: 'complaint.logged' }), 1, 'each transition is counted once')
})

t.test('the worker serves its own registry on WORKER_METRICS_PORT', async (t) => {
  const testApp = await setupApp(t)
  const metrics = new Metrics({ db: testApp.db })
  metrics.timerHandled('response', 'fired', 120)
  metrics.timerHandled('response', 'not_pending', 120)
  metrics.deliveryHandled('failed')
  const server = await serveMetrics(metrics, { host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  const response = await fetch(`http://127.0.0.1:${server.port}/metrics`)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  const scraped = parseScrape(text)
  t.equal(scraped.value('hotline_deadlines_missed_total', { kind: 'response' }), 1)
  t.equal(scraped.histogram('hotline_timer_lateness_seconds', { kind: 'response' }).count, 1, 'a job that fired nothing is not observed')
  t.equal(scraped.value('hotline_webhook_deliveries_total', { outcome: 'failed' }), 1)
  const head = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'HEAD' })
  t.equal(head.status, 200)
  const other = await fetch(`http://127.0.0.1:${server.port}/`)
  t.equal(other.status, 404)
  t.equal(other.headers.get('content-type'), 'application/problem+json')
  t.match(await other.json(), { code: 'not_found', status: 404 })
})

t.test('promtool check metrics finds nothing to say about a scrape', async (t) => {
  const testApp = await setupApp(t)
  const agent = await testApp.user('agent')
  t.equal((await testApp.call('POST', '/v1/complaints', agent, aComplaint())).statusCode, 201)
  const body = (await testApp.call('GET', '/metrics', null)).body
  // promtool comes with Debian's prometheus package; .ci/run installs it when it is missing.
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' })
  t.equal(checked.error, undefined, 'promtool runs')
  t.equal(checked.status, 0, `promtool: ${checked.stdout}${checked.stderr}`)
  t.equal(`${checked.stdout}${checked.stderr}`.trim(), '', 'no lint finding')
  const scraped = parseScrape(body)
  t.ok(scraped.family('nodejs_active_handles'), 'the active handles stay exposed, by type')
  t.notOk(scraped.family('nodejs_active_handles_total'), 'not as a gauge named like a counter')
})

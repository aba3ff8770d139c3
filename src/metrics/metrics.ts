import type { Queue } from 'bullmq'
import { sql } from 'kysely'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { COMPLAINT_STATES, HISTORY_TYPE } from '../../workflows/complaint.machine.js'
import type { Db } from '../db/database.js'
import type { FireOutcome } from '../timers/fire-batch.js'
import { MISS_KINDS } from '../timers/jobs.js'
import { withTimeout } from '../with-timeout.js'

/** What a delivery job can end in: deliver.ts's outcomes, plus `error` when the job itself threw (Postgres away). */
export const DELIVERY_OUTCOMES = ['delivered', 'retrying', 'failed', 'skipped', 'error'] as const
export const NOTIFICATION_OUTCOMES = ['sent', 'retrying', 'failed', 'skipped', 'error'] as const

export const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed'] as const

/** A transition that committed, named by the history event it appended. */
interface Committed {
  historyType: string
}

const SOURCE_TIMEOUT_MS = 2_000

export interface MetricsOptions {
  /** Where complaints are counted by state, on scrape, once `watchComplaints` asked for it. */
  db: Db
  /** Node.js process metrics (CPU, memory, event loop, GC); on unless turned off. */
  processMetrics?: boolean
}

/**
 * One process's Prometheus registry and the Hotline metrics in it. Counters and histograms move as things happen in
 * this process; the complaints-by-state and queue-depth gauges are read from Postgres and Redis when scraped, and
 * only in the process that asked for them (`watchComplaints`, `watchQueues`: the API). See docs/operations.md.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>
  readonly transitions: Counter<'type'>
  readonly deadlinesMissed: Counter<'kind'>
  readonly timerLateness: Histogram<'kind'>
  readonly webhookDeliveries: Counter<'outcome'>
  readonly notifications: Counter<'outcome'>
  readonly complaints: Gauge<'state'>
  readonly queueJobs: Gauge<'queue' | 'state'>
  readonly reportNotesPending: Gauge
  readonly searchNotesPending: Gauge
  readonly sourceUp: Gauge<'source'>

  private readonly db: Db
  private reading: Promise<void> | undefined
  private complaintsWatched = false
  private readonly queues: Queue[] = []

  constructor(options: MetricsOptions) {
    this.db = options.db
    const registers = [this.registry]
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry })
      // Gauges named like counters, which `promtool check metrics` refuses; their by-type gauges
      // (nodejs_active_handles{type}, ...) carry the same numbers.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(name)
      }
    }

    this.httpDuration = new Histogram({
      name: 'hotline_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code: duration in seconds (_count is the number of requests)',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.transitions = new Counter({
      name: 'hotline_transitions_total',
      help: 'Committed complaint transitions in this process, by history event type',
      labelNames: ['type'],
      registers,
    })
    for (const type of new Set(['complaint.received', ...Object.values(HISTORY_TYPE)])) this.transitions.inc({ type }, 0)
    this.deadlinesMissed = new Counter({
      name: 'hotline_deadlines_missed_total',
      help: 'Deadlines that fired unmet in this process (the complaint escalated or climbed a level), by timer kind',
      labelNames: ['kind'],
      registers,
    })
    for (const kind of MISS_KINDS) this.deadlinesMissed.inc({ kind }, 0)
    this.timerLateness = new Histogram({
      name: 'hotline_timer_lateness_seconds',
      help: 'Seconds between a timer job being due and its timer being claimed by a worker, by timer kind',
      labelNames: ['kind'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    })
    this.webhookDeliveries = new Counter({
      name: 'hotline_webhook_deliveries_total',
      help: 'Outbound webhook delivery jobs handled in this process, by outcome',
      labelNames: ['outcome'],
      registers,
    })
    for (const outcome of DELIVERY_OUTCOMES) this.webhookDeliveries.inc({ outcome }, 0)
    this.notifications = new Counter({
      name: 'hotline_notifications_total',
      help: 'Attempts at messages to customers (email, SMS) handled in this process, by outcome',
      labelNames: ['outcome'],
      registers,
    })
    for (const outcome of NOTIFICATION_OUTCOMES) this.notifications.inc({ outcome }, 0)
    this.sourceUp = new Gauge({
      name: 'hotline_metrics_source_up',
      help: '1 if the last scrape could read this source (postgres: complaints by state; redis: queue depths), else 0',
      labelNames: ['source'],
      registers,
      collect: () => this.readSources(),
    })
    this.complaints = new Gauge({
      name: 'hotline_complaints',
      help: 'Complaints by current state, counted in Postgres at scrape time',
      labelNames: ['state'],
      registers,
      collect: () => this.readSources(),
    })
    this.reportNotesPending = new Gauge({
      name: 'hotline_report_notes_pending',
      help: 'Transitions whose complaints\' report rows wait for the next refresh (report_facts_pending), counted in Postgres at scrape time',
      registers,
      collect: () => this.readSources(),
    })
    this.searchNotesPending = new Gauge({
      name: 'hotline_search_notes_pending',
      help: 'Changes whose complaints\' search rows wait for the next refresh (complaint_search_pending), counted in Postgres at scrape time',
      registers,
      collect: () => this.readSources(),
    })
    this.queueJobs = new Gauge({
      name: 'hotline_queue_jobs',
      help: 'BullMQ jobs by queue and state (waiting, delayed, active, failed), read from Redis at scrape time',
      labelNames: ['queue', 'state'],
      registers,
      collect: () => this.readSources(),
    })
  }

  /** Report complaints by state on scrape (one grouped count in Postgres). */
  watchComplaints(): this {
    this.complaintsWatched = true
    return this
  }

  /** Report these queues' job counts on scrape. */
  watchQueues(queues: Queue[]): this {
    this.queues.push(...queues.filter((q) => !this.queues.includes(q)))
    return this
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<string> {
    return this.registry.metrics()
  }

  /** After commit: each transition counts under the history type it appended. */
  committed(results: readonly Committed[]): void {
    for (const result of results) this.transitions.inc({ type: result.historyType })
  }

  /** A timer job was handled: a claimed timer observes its lateness, and a fired miss counts. */
  timerHandled(kind: string, outcome: FireOutcome, lateMs: number): void {
    if (outcome === 'not_pending') return // cancelled, already fired, or a duplicate job: nothing fired
    this.timerLateness.observe({ kind }, Math.max(0, lateMs) / 1000)
    if (outcome === 'fired' && (MISS_KINDS as readonly string[]).includes(kind)) this.deadlinesMissed.inc({ kind })
  }

  deliveryHandled(outcome: (typeof DELIVERY_OUTCOMES)[number]): void {
    this.webhookDeliveries.inc({ outcome })
  }

  notificationHandled(outcome: (typeof NOTIFICATION_OUTCOMES)[number]): void {
    this.notifications.inc({ outcome })
  }

  /**
   * Reads Postgres and Redis once per scrape: the three gauges that depend on them share the read in flight
   * (prom-client collects every metric of a scrape at once), and so do concurrent scrapes.
   */
  private readSources(): Promise<void> {
    this.reading ??= Promise.all([this.countComplaints(), this.countQueueJobs()]).then(
      () => undefined,
    ).finally(() => (this.reading = undefined))
    return this.reading
  }

  private async countComplaints(): Promise<void> {
    if (!this.complaintsWatched) return
    try {
      const [rows, pending] = await withTimeout(Promise.all([
        this.db.selectFrom('complaints').select((eb) => ['state', eb.fn.countAll<number>().as('n')]).groupBy('state').execute(),
        sql<{ n: string; search: string }>`select (select count(*) from report_facts_pending) as n,
          (select count(*) from complaint_search_pending) as search`.execute(this.db),
      ]), SOURCE_TIMEOUT_MS)
      this.reportNotesPending.set(Number(pending.rows[0]?.n ?? 0))
      this.searchNotesPending.set(Number(pending.rows[0]?.search ?? 0))
      this.complaints.reset()
      // Every state the machine has, 0 when no complaint is in it, so a dashboard never sees a gap.
      for (const state of COMPLAINT_STATES) this.complaints.set({ state }, 0)
      for (const row of rows) this.complaints.set({ state: row.state }, Number(row.n))
      this.sourceUp.set({ source: 'postgres' }, 1)
    } catch {
      this.complaints.reset()
      this.reportNotesPending.reset()
      this.searchNotesPending.reset()
      this.sourceUp.set({ source: 'postgres' }, 0)
    }
  }

  private async countQueueJobs(): Promise<void> {
    if (this.queues.length === 0) return
    try {
      const counts = await withTimeout(Promise.all(this.queues.map((q) => q.getJobCounts(...QUEUE_STATES))), SOURCE_TIMEOUT_MS)
      this.queueJobs.reset()
      this.queues.forEach((queue, i) => {
        for (const state of QUEUE_STATES) this.queueJobs.set({ queue: queue.name, state }, counts[i]![state] ?? 0)
      })
      this.sourceUp.set({ source: 'redis' }, 1)
    } catch {
      this.queueJobs.reset()
      this.sourceUp.set({ source: 'redis' }, 0)
    }
  }
}

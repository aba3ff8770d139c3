import { currentTrace, inSpan, type TraceCarrier } from '../tracing/context.js'

/**
 * Gathers the ids that concurrent jobs hand in during a short window and runs them as one batch:
 * one transaction and one round of follow-up work for many timers instead of one each. A batch that
 * fails is retried one id at a time, so one bad timer cannot hold back the others. With `maxInFlight`,
 * at most that many batches run at once and the ids that arrive meanwhile wait for the next: under load
 * the batches grow instead of queueing on each other.
 * Traced, a batch runs in a span named `spanName` that starts a trace of its own and links to the span of each job
 * it serves: one batch, many parents.
 */
export class Batcher<R> {
  private waiting: { id: string; resolve: (r: R) => void; reject: (e: unknown) => void; trace?: TraceCarrier }[] = []
  private timer: NodeJS.Timeout | undefined
  private inFlight = 0

  constructor(
    private readonly run: (ids: string[]) => Promise<Map<string, R>>,
    private readonly maxBatch = 64,
    private readonly windowMs = 5,
    private readonly maxInFlight = Number.POSITIVE_INFINITY,
    private readonly spanName = 'batch',
  ) {}

  add(id: string): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ id, resolve, reject, trace: currentTrace() })
      if (this.waiting.length >= this.maxBatch) this.flush()
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs)
    })
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.waiting.length === 0 || this.inFlight >= this.maxInFlight) return
    const batch = this.waiting.splice(0, this.maxBatch)
    this.inFlight += 1
    void this.traced(batch, () => this.run(batch.map((w) => w.id)))
      .then(
        (results) => batch.forEach((w) => w.resolve(results.get(w.id)!)),
        async (error: unknown) => {
          if (batch.length === 1) batch[0]!.reject(error)
          else for (const waiter of batch) await this.runAlone(waiter)
        },
      )
      .finally(() => {
        this.inFlight -= 1
        this.flush()
      })
    if (this.waiting.length >= this.maxBatch) this.flush()
    else if (this.waiting.length > 0) this.timer ??= setTimeout(() => this.flush(), this.windowMs)
  }

  private traced<T>(batch: (typeof this.waiting)[number][], work: () => Promise<T>): Promise<T> {
    return inSpan(this.spanName, { kind: 'internal', detached: { links: batch.map((w) => w.trace) }, attributes: { 'hotline.batch.size': batch.length } }, work)
  }

  private async runAlone(waiter: (typeof this.waiting)[number]): Promise<void> {
    try {
      waiter.resolve((await this.traced([waiter], () => this.run([waiter.id]))).get(waiter.id)!)
    } catch (error) {
      waiter.reject(error)
    }
  }
}

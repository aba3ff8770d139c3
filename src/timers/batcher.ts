/**
 * Gathers the ids that concurrent jobs hand in during a short window and runs them as one batch:
 * one transaction and one round of follow-up work for many timers instead of one each. A batch that
 * fails is retried one id at a time, so one bad timer cannot hold back the others.
 */
export class Batcher<R> {
  private waiting: { id: string; resolve: (r: R) => void; reject: (e: unknown) => void }[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly run: (ids: string[]) => Promise<Map<string, R>>,
    private readonly maxBatch = 64,
    private readonly windowMs = 5,
  ) {}

  add(id: string): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ id, resolve, reject })
      if (this.waiting.length >= this.maxBatch) this.flush()
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs)
    })
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.waiting
    this.waiting = []
    if (batch.length === 0) return
    void this.run(batch.map((w) => w.id)).then(
      (results) => batch.forEach((w) => w.resolve(results.get(w.id)!)),
      (error: unknown) => {
        if (batch.length === 1) batch[0]!.reject(error)
        else for (const waiter of batch) void this.runAlone(waiter)
      },
    )
  }

  private async runAlone(waiter: (typeof this.waiting)[number]): Promise<void> {
    try {
      waiter.resolve((await this.run([waiter.id])).get(waiter.id)!)
    } catch (error) {
      waiter.reject(error)
    }
  }
}

// Bounded load from this process: a few concurrent loops at a fixed total rate, capped in requests and in time.
// Creates carry an Idempotency-Key, so an unanswered one can be retried and its outcome known.
import { randomUUID } from 'node:crypto'
import { problemCode, type Answer } from './http.js'
import type { Stack } from './stack.js'

export interface Sent {
  op: 'create' | 'escalate' | 'resolve' | 'notes'
  /** When it was sent, and when its answer (or its failure) came. */
  at: number
  doneAt: number
  status: number
  ms: number
  code?: string | undefined
  retryAfter?: string | null
  error?: string | undefined
}

export interface CreateAttempt {
  key: string
  body: Record<string, unknown>
  /** The final outcome of the first attempt: the status, 0 when no answer came. */
  status: number
  id?: string
}

export interface LoadOptions {
  concurrency: number
  /** Requests per second, all loops together. */
  rate: number
  maxRequests: number
  maxMs: number
}

export class Load {
  readonly sent: Sent[] = []
  readonly creates: CreateAttempt[] = []
  /** Complaint id -> the highest version a 2xx answer acknowledged. */
  readonly acked = new Map<string, number>()
  private stopped = false
  private running: Promise<void> | undefined
  private started = 0
  private issued = 0

  constructor(private readonly stack: Stack, private readonly options: LoadOptions) {}

  start(): this {
    this.started = Date.now()
    this.running = Promise.all(Array.from({ length: this.options.concurrency }, (_, i) => this.loop(i))).then(() => undefined)
    return this
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.running
  }

  /** Resolves when the load has ended by itself (its request or time cap). */
  get done(): Promise<void> {
    return this.running ?? Promise.resolve()
  }

  /** 2xx answers that came after `at`. */
  ackedSince(at: number): number {
    return this.sent.filter((s) => s.doneAt >= at && s.status >= 200 && s.status < 300).length
  }

  /** The requests sent within [from, to]. */
  sentBetween(from: number, to: number): Sent[] {
    return this.sent.filter((s) => s.at >= from && s.at <= to)
  }

  get ackedCreates(): number {
    return this.creates.filter((c) => c.id !== undefined).length
  }

  private async loop(index: number): Promise<void> {
    const { concurrency, rate, maxRequests, maxMs } = this.options
    const interval = (1000 * concurrency) / rate
    let next = this.started + (index * interval) / concurrency
    while (!this.stopped && this.issued < maxRequests && Date.now() - this.started < maxMs) {
      this.issued++
      await this.once()
      next += interval
      const wait = next - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      else next = Date.now()
    }
  }

  private record(op: Sent['op'], answer: Answer, at: number): void {
    this.sent.push({
      op, at, doneAt: Date.now(), status: answer.status, ms: answer.ms, code: problemCode(answer),
      retryAfter: answer.headers.get('retry-after'), error: answer.error,
    })
  }

  private async once(): Promise<void> {
    const ids = [...this.acked.keys()]
    const roll = Math.random()
    const at = Date.now()
    if (ids.length < 5 || roll < 0.7) {
      const attempt: CreateAttempt = { key: randomUUID(), body: complaintBody(this.creates.length), status: 0 }
      this.creates.push(attempt)
      const answer = await this.create(attempt)
      this.record('create', answer, at)
      return
    }
    const id = ids[Math.floor(Math.random() * ids.length)]!
    const version = this.acked.get(id)!
    const op: Sent['op'] = roll < 0.8 ? 'escalate' : roll < 0.9 ? 'resolve' : 'notes'
    const body = op === 'escalate' ? { reason: 'load' } : op === 'resolve' ? { summary: 'sorted on the call' } : { text: 'called back' }
    const actor = op === 'resolve' ? this.stack.supervisor : this.stack.agent
    const answer = await this.stack.call('POST', `/v1/complaints/${id}/${op}`, {
      token: actor.token, body, headers: { 'if-match': `"${version}"` }, timeoutMs: 10_000,
    })
    this.record(op, answer, at)
    this.ack(answer)
  }

  /** `n` creates, `concurrency` at a time, each body with `extra` fields; recorded like the load's own. */
  async createMany(n: number, concurrency: number, extra: Record<string, unknown> = {}): Promise<void> {
    let next = 0
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++
        const attempt: CreateAttempt = { key: randomUUID(), body: { ...complaintBody(this.creates.length), ...extra }, status: 0 }
        this.creates.push(attempt)
        const at = Date.now()
        this.record('create', await this.create(attempt), at)
      }
    }))
  }

  /** Sends every create that has no answer yet again with its key, `concurrency` at a time; their new answers. */
  async retryUnanswered(concurrency = 6): Promise<Answer[]> {
    const pending = this.creates.filter((c) => c.id === undefined)
    const answers: Answer[] = []
    let next = 0
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < pending.length) answers.push(await this.create(pending[next++]!))
    }))
    return answers
  }

  /** Sends (or re-sends) one create with its key; a 2xx acknowledges the complaint. */
  async create(attempt: CreateAttempt): Promise<Answer> {
    const answer = await this.stack.call('POST', '/v1/complaints', {
      token: this.stack.agent.token, body: attempt.body, headers: { 'idempotency-key': attempt.key }, timeoutMs: 10_000,
    })
    if (attempt.status === 0) attempt.status = answer.status
    const id = this.ack(answer)
    if (id) attempt.id = id
    return answer
  }

  private ack(answer: Answer): string | undefined {
    if (answer.status < 200 || answer.status >= 300) return undefined
    const { id, version } = answer.json as { id: string; version: number }
    this.acked.set(id, Math.max(version, this.acked.get(id) ?? 0))
    return id
  }

  summary(): Record<string, number> {
    const out: Record<string, number> = { requests: this.sent.length }
    for (const s of this.sent) {
      const key = s.status === 0 ? `no_answer` : `${Math.floor(s.status / 100)}xx`
      out[key] = (out[key] ?? 0) + 1
    }
    return out
  }
}

function complaintBody(i: number): Record<string, unknown> {
  return {
    customer: { name: `Load ${i}`, phone: `+86 138 0013 ${String(i % 10_000).padStart(4, '0')}` },
    category: ['delivery', 'billing', 'quality'][i % 3],
    severity: ['low', 'normal', 'high', 'urgent'][i % 4],
    summary: `load complaint ${i}`,
  }
}

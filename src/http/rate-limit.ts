import { LRUCache } from 'lru-cache'

export const WINDOW_MS = 60_000
/** Callers remembered per window; past this the least recently seen start the window afresh. */
const MAX_KEYS = 100_000

/** What a limit looks like on the wire: the IETF draft's `RateLimit-Policy` and `RateLimit` fields. */
export interface LimitState {
  policy: string
  limit: number
  remaining: number
  resetSeconds: number
}

/**
 * Requests per caller in fixed one-minute windows aligned to the clock, counted in this process's memory: no Redis
 * round trip on the request path, and every process's windows start together, so with N API processes a caller
 * gets at most N times the limit (docs/api-conventions.md). 0 turns the limit off.
 */
export class WindowLimit {
  private window = -1
  // Made on the first count: lru-cache allocates its arrays for `max` keys up front (a few hundred kB), which a process
  // with the limit off never needs.
  private countsMade?: LRUCache<string, number>
  private get counts(): LRUCache<string, number> {
    return (this.countsMade ??= new LRUCache<string, number>({ max: MAX_KEYS }))
  }

  constructor(
    readonly policy: string,
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.limit > 0
  }

  /** The caller's state after counting `add` more requests (0 to only look). */
  count(key: string, add: 0 | 1): LimitState & { exceeded: boolean } {
    const now = this.now()
    const window = Math.floor(now / WINDOW_MS)
    if (window !== this.window) {
      this.window = window
      this.counts.clear()
    }
    const used = (this.counts.get(key) ?? 0) + add
    if (add) this.counts.set(key, used)
    return {
      policy: this.policy,
      limit: this.limit,
      remaining: Math.max(0, this.limit - used),
      resetSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)),
      exceeded: add ? used > this.limit : used >= this.limit,
    }
  }
}

/** The routes limited: every /v1 route but the event streams, which stay open rather than repeat. */
export function isLimited(url: string | undefined): boolean {
  return url !== undefined && url.startsWith('/v1/') && !url.endsWith('/stream')
}

/** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers). */
export function rateLimitHeaders(state: LimitState): Record<string, string> {
  return {
    'ratelimit-policy': `"${state.policy}";q=${state.limit};w=${WINDOW_MS / 1000}`,
    ratelimit: `"${state.policy}";r=${state.remaining};t=${state.resetSeconds}`,
  }
}

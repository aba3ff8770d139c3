import { LRUCache } from 'lru-cache'

export interface LoadingCacheOptions {
  /** How long a value may be used, counted from the start of the load that read it. */
  ttlMs: number
  /** At most this many keys; the least recently used goes first. */
  max: number
  /** A clock in milliseconds (tests move it by hand); `performance.now` by default. */
  now?: () => number
}

/** A fetch that an invalidation aborted is loaded again this many times, then read once without the cache. */
const MAX_ABORTED_FETCHES = 3

/**
 * Values read through `load` and kept for at most `ttlMs`, on lru-cache: concurrent gets of one key share one load
 * (single flight), and `undefined` (nothing found) is never kept.
 *
 * The time to live counts from when the load began, not from when it returned: the value holds what was committed
 * before the load's first statement, so a commit is seen by every get that starts `ttlMs` after it at the latest.
 *
 * `invalidate` and `clear` abort the loads in flight (lru-cache drops an aborted fetch's result): a load that read
 * before a change commits and returns after its invalidation is never stored, and whoever waited on it loads again.
 */
export class LoadingCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  readonly #cache: LRUCache<K, V>
  readonly #load: (key: K) => Promise<V | undefined>
  /** What lru-cache rejects an aborted fetch with (its signal's reason): told apart from the load's own errors. */
  readonly #aborts = new WeakSet<object>()

  constructor(load: (key: K) => Promise<V | undefined>, options: LoadingCacheOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be above 0, got ${options.ttlMs}`)
    const now = options.now ?? (() => performance.now())
    this.#load = load
    this.#cache = new LRUCache<K, V>({
      max: options.max,
      ttl: options.ttlMs,
      // lru-cache otherwise reuses one reading of the clock for 1 ms; an injected clock must be read every time.
      ttlResolution: 0,
      perf: { now },
      fetchMethod: async (key, _stale, { options: entry, signal }) => {
        signal.addEventListener('abort', () => this.#aborts.add(signal.reason as object), { once: true })
        const started = now()
        const value = await load(key)
        // Its life counts from the start of the read. A ttl of 0 would mean "for ever" to lru-cache: a load slower
        // than ttlMs gets the smallest ttl there is, and is stale as soon as the clock moves on.
        entry.ttl = Math.max(Number.MIN_VALUE, options.ttlMs - (now() - started))
        return value
      },
    })
  }

  async get(key: K): Promise<V | undefined> {
    for (let attempt = 0; attempt < MAX_ABORTED_FETCHES; attempt++) {
      try {
        return await this.#cache.fetch(key)
      } catch (error) {
        // Invalidated (or evicted) while loading: load again. Every caller that shared the load gets the same reason.
        if (!(error instanceof Object && this.#aborts.has(error))) throw error
      }
    }
    // Invalidated again and again while loading: this caller reads for itself rather than wait any longer.
    return this.#load(key)
  }

  /** Forgets one key; a load of it in flight is dropped. */
  invalidate(key: K): void {
    this.#cache.delete(key)
  }

  /** Forgets every key; the loads in flight are dropped. */
  clear(): void {
    this.#cache.clear()
  }

  /** How many keys are held (tests). */
  get size(): number {
    return this.#cache.size
  }
}

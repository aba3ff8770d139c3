import { toAuthUser, type AuthUser } from '../auth/auth.plugin.js'
import { findActiveUserByTokenHash } from '../auth/users.repository.js'
import type { Db } from '../db/database.js'
import { currentPolicy, type StoredPolicy } from '../sla/policy.repository.js'
import { findActiveEndpoints, type ActiveEndpoint } from '../webhooks/endpoints.repository.js'
import { LoadingCache } from './loading-cache.js'
import { readOverrides } from '../notifications/templates.repository.js'
import type { TemplateOverrides } from '../notifications/templates.js'

/** CACHE_TTL's default: what another process sees is at most this old. */
export const DEFAULT_CACHE_TTL_MS = 1_000
/** Token owners kept at most; the least recently used go first. */
export const MAX_CACHED_TOKENS = 10_000

export interface CacheOptions {
  /** How long a read may be used, from the start of the read (CACHE_TTL). */
  ttlMs?: number
  maxTokens?: number
  /** A clock in milliseconds (tests). */
  now?: () => number
}

/**
 * What rarely changes, read from memory: the SLA policy in force (its readable form, and through it the calendars
 * compiled from it, src/sla/deadline-clock.ts), the endpoints that take webhook events, the customer message templates
 * an admin changed, and the user behind a token.
 *
 * Every entry is used for at most `ttlMs` (CACHE_TTL, 1 s) after the read that filled it began: that alone bounds
 * how late another process sees a change. Whoever changes these tables in this process calls the matching
 * `...Changed()` after the commit, so this process sees its own change at once (docs/operations.md, "Caches").
 */
export class Caches {
  readonly #policy: LoadingCache<'policy', StoredPolicy>
  readonly #endpoints: LoadingCache<'endpoints', ActiveEndpoint[]>
  readonly #tokens: LoadingCache<string, AuthUser>
  readonly #templates: LoadingCache<'templates', TemplateOverrides>
  /** The policy read last: kept as it is while its version is in force, so what was compiled from it is kept too. */
  #lastPolicy: StoredPolicy | undefined

  constructor(db: Db, options: CacheOptions = {}) {
    const ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS
    const settings = { ttlMs, now: options.now }
    this.#policy = new LoadingCache(async () => (this.#lastPolicy = await currentPolicy(db, this.#lastPolicy)), { ...settings, max: 1 })
    this.#endpoints = new LoadingCache(async () => Object.freeze(await findActiveEndpoints(db)) as ActiveEndpoint[], { ...settings, max: 1 })
    this.#templates = new LoadingCache(async () => readOverrides(db), { ...settings, max: 1 })
    // An unknown token is not kept: a new user's token works at once everywhere, and junk tokens cannot crowd out
    // real ones (they cost one indexed read each, as before).
    this.#tokens = new LoadingCache(async (tokenHash: string) => {
      const row = await findActiveUserByTokenHash(db, tokenHash)
      if (!row) return undefined
      // One object serves every request with this token until it expires: frozen, so none can change it for the next.
      const user = toAuthUser(row)
      Object.freeze(user.teams)
      return Object.freeze(user)
    }, { ...settings, max: options.maxTokens ?? MAX_CACHED_TOKENS })
  }

  /** The SLA policy in force (what `currentPolicy(db)` reads), at most `ttlMs` old. */
  policy(): Promise<StoredPolicy> {
    return this.#policy.get('policy') as Promise<StoredPolicy>
  }

  /** The endpoints that take events, at most `ttlMs` old. The list is shared: do not change it. */
  endpoints(): Promise<ActiveEndpoint[]> {
    return this.#endpoints.get('endpoints') as Promise<ActiveEndpoint[]>
  }

  /** The admin's overrides of the customer message templates, at most `ttlMs` old. Shared: do not change it. */
  templates(): Promise<TemplateOverrides> {
    return this.#templates.get('templates') as Promise<TemplateOverrides>
  }

  /** The active user whose token hashes to `tokenHash`, at most `ttlMs` old; undefined when none is. */
  userByTokenHash(tokenHash: string): Promise<AuthUser | undefined> {
    return this.#tokens.get(tokenHash)
  }

  /** After a new policy commits. */
  policyChanged(): void {
    this.#policy.clear()
  }

  /** After an endpoint is created, changed, stopped, restarted or deleted (committed). */
  endpointsChanged(): void {
    this.#endpoints.clear()
  }

  /** After a template override commits. */
  templatesChanged(): void {
    this.#templates.clear()
  }

  /** After a user changes (deactivated, reactivated, new token, role, level, limit, teams), committed. */
  usersChanged(): void {
    this.#tokens.clear()
  }
}

const byDb = new WeakMap<Db, Caches>()

/**
 * The caches of one Kysely instance: everything that shares a pool (the API and the worker of `npm start`, an app
 * and its test worker) shares its caches and sees its invalidations, and nothing else does. Made on first use with
 * the defaults unless `setUpCaches` came first.
 */
export function cachesOf(db: Db): Caches {
  let caches = byDb.get(db)
  if (!caches) {
    caches = new Caches(db)
    byDb.set(db, caches)
  }
  return caches
}

/** Gives a Kysely instance caches with these settings (CACHE_TTL); call before anything reads through it. */
export function setUpCaches(db: Db, options: CacheOptions): Caches {
  const caches = new Caches(db, options)
  byDb.set(db, caches)
  return caches
}

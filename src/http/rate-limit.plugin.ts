import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Problem } from './problem.js'
import { isLimited, rateLimitHeaders, WindowLimit, type LimitState } from './rate-limit.js'

export interface RateLimitOptions {
  /** Requests a minute per token (RATE_LIMIT_PER_TOKEN); 0: none. */
  perToken: number
  /** Unauthenticated or failed requests a minute per address (RATE_LIMIT_PER_IP); 0: none. */
  perIp: number
  now?: () => number
}

declare module 'fastify' {
  interface FastifyRequest {
    rateLimit: LimitState | null
  }
}

/**
 * Rate limits on every /v1 route: per address before authentication, counting only the requests that fail it (so a
 * flood of bad tokens or signatures is cut off without touching Postgres), and per token once the caller is known.
 * Register before the auth plugin: its onRequest hook must run first.
 */
export default fp(
  async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions) {
    const byToken = new WindowLimit('token', options.perToken, options.now)
    const byIp = new WindowLimit('ip', options.perIp, options.now)
    app.decorateRequest('rateLimit', null)

    const refuse = (reply: FastifyReply, state: LimitState, detail: string): never => {
      reply.header('retry-after', String(state.resetSeconds))
      throw new Problem('rate_limited', detail)
    }

    app.addHook('onRequest', async (request, reply) => {
      if (!byIp.enabled || !isLimited(request.routeOptions.url)) return
      const state = byIp.count(request.ip, 0)
      if (!state.exceeded) return
      request.rateLimit = state
      refuse(reply, state, `more than ${state.limit} unauthenticated or failed requests a minute from this address; retry in ${state.resetSeconds} s`)
    })

    // After the auth plugin's onRequest: the caller is known, the body not yet read.
    app.addHook('preParsing', async (request: FastifyRequest, reply) => {
      if (!byToken.enabled || !request.user || !isLimited(request.routeOptions.url)) return
      const state = byToken.count(request.user.id, 1)
      request.rateLimit = state
      if (state.exceeded) refuse(reply, state, `more than ${state.limit} requests a minute with this token; retry in ${state.resetSeconds} s`)
    })

    app.addHook('onSend', async (request, reply) => {
      if (!isLimited(request.routeOptions.url)) return
      // An answer without a caller (no token, a bad one, a bad signature) counts against the address.
      if (!request.user && byIp.enabled && reply.statusCode === 401) request.rateLimit = byIp.count(request.ip, 1)
      const state = request.rateLimit ?? (request.user ? (byToken.enabled ? byToken.count(request.user.id, 0) : null) : (byIp.enabled ? byIp.count(request.ip, 0) : null))
      if (state) reply.headers(rateLimitHeaders(state))
    })
  },
  { name: 'rate-limit' },
)

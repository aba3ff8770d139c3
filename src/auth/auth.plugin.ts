import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserRole, UserRow } from '../db/tables.js'
import { Problem } from '../http/problem.js'
import { cachesOf } from '../cache/caches.js'
import type { StreamTickets } from '../live/stream-tickets.js'
import { hashToken } from './tokens.js'
import { findUser } from './users.repository.js'

export interface AuthUser {
  id: string
  name: string
  role: UserRole
  level: number | null
  compensationLimit: number | null
  teams: string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; unset means any authenticated user. */
    roles?: readonly UserRole[]
    /** The route authenticates itself (signed webhooks) or is public. */
    public?: boolean
    /** An event stream: a stream ticket (`?ticket=`, POST /v1/stream-tickets) may stand in for the Authorization header. */
    streamTicket?: boolean
  }
}

export function toAuthUser(row: UserRow): AuthUser {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    level: row.level,
    compensationLimit: row.compensationLimit === null ? null : Number(row.compensationLimit),
    teams: row.teams,
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

function ticketOf(request: FastifyRequest): string | undefined {
  const ticket = (request.query as Record<string, unknown> | undefined)?.ticket
  return typeof ticket === 'string' && ticket.length > 0 ? ticket : undefined
}

/**
 * Authenticates every route but the public ones, then checks the route's roles. An event stream also takes a stream
 * ticket: alone, it is the credential; beside a bearer token, it must be that token's user's.
 */
export default fp(
  async function authPlugin(app: FastifyInstance, options: { tickets?: StreamTickets }) {
    app.decorateRequest('user', null as unknown as AuthUser)
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config
      // Only /v1 routes need credentials: probes, metrics and docs are public, and so is the 404 handler.
      if (config.public || !request.routeOptions.url?.startsWith('/v1/')) return
      const token = bearerToken(request)
      const ticket = config.streamTicket && options.tickets ? ticketOf(request) : undefined
      if (!token && !ticket) throw new Problem('unauthorized', 'send Authorization: Bearer <token>')
      let user: AuthUser | undefined
      if (token) {
        // From memory for up to CACHE_TTL; a change made through this process is seen at once (src/cache/caches.ts).
        user = await cachesOf(app.db).userByTokenHash(hashToken(token))
        if (!user) throw new Problem('unauthorized', 'the token is unknown or its user is deactivated')
      }
      if (ticket) {
        // Taken whatever follows (a refusal below included): a ticket is good for one attempt.
        const owner = await options.tickets!.redeem(ticket)
        if (!owner) throw new Problem('unauthorized', 'the stream ticket is unknown, already used or expired: ask POST /v1/stream-tickets for another')
        if (user && user.id !== owner) throw new Problem('forbidden', 'the stream ticket was issued to someone else')
        if (!user) {
          const row = await findUser(app.db, owner)
          if (!row?.active) throw new Problem('unauthorized', 'the user the stream ticket was issued to is deactivated')
          user = toAuthUser(row)
        }
      }
      request.user = user!
      if (config.roles && !config.roles.includes(user!.role)) {
        throw new Problem('forbidden', `this route is for ${config.roles.join(' or ')}; you are ${user!.role}`)
      }
    })
  },
  { name: 'auth', dependencies: ['db'] },
)

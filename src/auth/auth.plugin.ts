import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserRole, UserRow } from '../db/tables.js'
import { Problem } from '../http/problem.js'
import { cachesOf } from '../cache/caches.js'
import { hashToken } from './tokens.js'

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

/** Authenticates every route but the public ones, then checks the route's roles. */
export default fp(
  async function authPlugin(app: FastifyInstance) {
    app.decorateRequest('user', null as unknown as AuthUser)
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config
      // Only /v1 routes need credentials: probes, metrics and docs are public, and so is the 404 handler.
      if (config.public || !request.routeOptions.url?.startsWith('/v1/')) return
      const token = bearerToken(request)
      if (!token) throw new Problem('unauthorized', 'send Authorization: Bearer <token>')
      // From memory for up to CACHE_TTL; a change made through this process is seen at once (src/cache/caches.ts).
      const user = await cachesOf(app.db).userByTokenHash(hashToken(token))
      if (!user) throw new Problem('unauthorized', 'the token is unknown or its user is deactivated')
      request.user = user
      if (config.roles && !config.roles.includes(user.role)) {
        throw new Problem('forbidden', `this route is for ${config.roles.join(' or ')}; you are ${user.role}`)
      }
    })
  },
  { name: 'auth', dependencies: ['db'] },
)

import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { Queue } from 'bullmq'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hashToken } from '../auth/tokens.js'
import { cachesOf } from '../cache/caches.js'
import { sendProblem } from '../http/errors.plugin.js'
import { Problem, type ProblemCode } from '../http/problem.js'

export const QUEUE_CONSOLE_PATH = '/admin/queues'
export const QUEUE_CONSOLE_REALM = 'Hotline queue console'

export interface QueueConsoleOptions {
  /** The queues shown, each read-only: timers, escalations and webhook deliveries. */
  queues: Queue[]
}

/**
 * The admin's credential, from `Authorization: Bearer <token>` (API clients) or `Authorization: Basic` with the
 * token as the password and any user name (browsers, which cannot send a bearer header but prompt for Basic).
 */
export function consoleToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (bearer) return bearer[1]
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (!basic) return undefined
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const password = colon < 0 ? '' : decoded.slice(colon + 1)
  return password.length > 0 ? password : undefined
}

const STATUS_CODES: Partial<Record<number, ProblemCode>> = {
  400: 'validation_failed', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict',
}

/**
 * Bull Board's own error bodies (`{error: {key}, message}`) become problem+json like every other error of the API:
 * client errors keep Bull Board's fields (its UI reads `error.key`), server errors say nothing of their cause.
 */
function asProblem(request: FastifyRequest, reply: FastifyReply, payload: unknown): string {
  const status = reply.statusCode
  let original: Record<string, unknown> = {}
  try {
    original = typeof payload === 'string' ? (JSON.parse(payload) as Record<string, unknown>) : {}
  } catch {
    // not JSON: nothing to keep
  }
  if (status >= 500) {
    request.log.error({ statusCode: status, message: original.message }, 'queue console request failed')
    return JSON.stringify(new Problem('internal_error', 'something went wrong on our side; the request id identifies it in our logs').body(request.url))
  }
  const code = STATUS_CODES[status] ?? 'validation_failed'
  const problem = new Problem(code, typeof original.message === 'string' ? original.message : 'the queue console refused the request', {
    ...(original.error === undefined ? {} : { error: original.error }),
  })
  return JSON.stringify({ ...problem.body(request.url), status })
}

/**
 * Bull Board at /admin/queues, for admins only. Every queue is read-only: Redis holds a schedule rebuilt from
 * Postgres, so a job removed there comes back at the next reconcile, and promoting a delayed timer would fire a
 * deadline before it is due. Replays go through the API (`POST /v1/webhook-endpoints/{id}/deliveries/{id}/replay`).
 */
/** Who may open the console: set as `config.roles` on every route Bull Board registers, like every other route's. */
const CONSOLE_ROLES = ['admin'] as const

export default async function queueConsole(app: FastifyInstance, options: QueueConsoleOptions) {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, roles: CONSOLE_ROLES }
  })
  app.addHook('onRequest', async (request, reply) => {
    const token = consoleToken(request.headers.authorization)
    const user = token ? await cachesOf(app.db).userByTokenHash(hashToken(token)) : undefined
    if (!user) {
      reply.header('www-authenticate', `Basic realm="${QUEUE_CONSOLE_REALM}", charset="UTF-8"`)
      const detail = token
        ? 'the token is unknown or its user is deactivated'
        : 'send Authorization: Bearer <admin token>, or Basic with the admin token as the password'
      return sendProblem(request, reply, new Problem('unauthorized', detail))
    }
    const roles: readonly string[] = request.routeOptions.config.roles ?? CONSOLE_ROLES
    if (!roles.includes(user.role)) {
      return sendProblem(request, reply, new Problem('forbidden', `the queue console is for ${roles.join(' or ')}; you are ${user.role}`))
    }
    request.user = user
    reply.header('cache-control', 'no-store')
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '')
    if (reply.statusCode < 400 || type.startsWith('application/problem+json')) return payload
    reply.type('application/problem+json')
    return asProblem(request, reply, payload)
  })

  const serverAdapter = new FastifyAdapter().setBasePath(QUEUE_CONSOLE_PATH)
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Hotline queues', hideDocsLink: true } },
  })
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_CONSOLE_PATH })
}

/** The console's entry page, added to the OpenAPI document (its API and assets are Bull Board's own, hidden). */
export const QUEUE_CONSOLE_OPENAPI = {
  get: {
    operationId: 'queueConsole',
    tags: ['operations'],
    summary: 'Bull Board: the timers, escalations and webhooks queues (admin only, read-only)',
    description:
      'A browser page. Browsers authenticate with HTTP Basic: any user name, the admin token as the password (a 401 ' +
      'carries `WWW-Authenticate: Basic` so the browser asks). API clients may send `Authorization: Bearer`. ' +
      'Its JSON API and static assets under /admin/queues/ are Bull Board\'s own and not described here.',
    security: [{ bearer: [] }, { adminBasic: [] }],
    responses: {
      200: { description: 'The Bull Board page', content: { 'text/html': { schema: { type: 'string' as const } } } },
      ...Object.fromEntries([[401, 'No valid token (unauthorized)'], [403, 'Not an admin (forbidden)'], [500, 'Unexpected server error (internal_error)']]
        .map(([status, description]) => [status, { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }])),
    },
  },
}

export const ADMIN_BASIC_SCHEME = {
  type: 'http' as const,
  scheme: 'basic',
  description: 'the queue console only: any user name, an admin token as the password',
}

/** For app.ts's transformObject: documents /admin/queues as app.ts documents /docs. */
export function documentQueueConsole<T extends { paths?: Record<string, unknown>; components?: { securitySchemes?: Record<string, unknown> } }>(document: T): T {
  document.paths = { ...document.paths, [QUEUE_CONSOLE_PATH]: QUEUE_CONSOLE_OPENAPI }
  document.components = { ...document.components, securitySchemes: { ...document.components?.securitySchemes, adminBasic: ADMIN_BASIC_SCHEME } }
  return document
}

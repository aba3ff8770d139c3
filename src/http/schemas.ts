import type { FastifySchema } from 'fastify'
import { isLimited } from './rate-limit.js'
import Type, { type TSchema } from 'typebox'
import { type ProblemCode, statusOf } from './problem.js'

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri-reference', description: 'the page /problems/{code} of this server, as a reference relative to the request URL (RFC 9457 3.1.1)' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'stable machine-readable error code' }),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: 'each failing field (validation_failed), at most 20',
        maxItems: 20,
      }),
    ),
    moreErrors: Type.Optional(Type.Integer({ minimum: 1, description: 'how many more failing fields were left out of errors' })),
    allowed: Type.Optional(Type.Array(Type.String(), { description: 'the actions allowed now (invalid_transition)' })),
    currentVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'the current version, to read again before retrying (version_conflict)' })),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
)

/** Response headers some answers carry: the created resource's URL, and the mark of an answer replayed for a repeated key. */
export const LOCATION_HEADER = { type: 'string', description: 'the URL of what was created (or found again)' } as const
export const REPLAYED_HEADER = { type: 'string', enum: ['true'], description: 'present on an answer to a repeated Idempotency-Key or webhook-id: the first request\'s result, nothing done again' } as const

const DESCRIPTIONS: Partial<Record<number, string>> = {
  400: 'Invalid request (validation_failed, invalid_json)',
  401: 'Missing or invalid credentials (unauthorized)',
  403: 'Not permitted (forbidden, authority_exceeded)',
  404: 'Not found (not_found)',
  409: 'Conflict with the current state (invalid_transition, conflict)',
  412: 'Stale If-Match version (version_conflict)',
  413: 'Body too large (payload_too_large)',
  415: 'Unsupported content type (unsupported_media_type)',
  422: 'Idempotency key reused with another body (idempotency_mismatch)',
  500: 'Unexpected server error (internal_error)',
  503: 'Postgres (or, for /readyz, Redis) is unreachable, or this server is shutting down; retry after Retry-After seconds (service_unavailable)',
  408: 'The request did not arrive in time (request_timeout); answered by the HTTP layer',
  414: 'A path parameter is longer than any id (uri_too_long); answered by the router',
  431: 'The request line and headers are too large (headers_too_large); answered by the HTTP layer',
  429: 'Over the rate limit (rate_limited); retry after Retry-After seconds',
}

const RETRY_AFTER = { 'retry-after': { type: 'string', description: 'seconds to wait before retrying (5)' } }
/** The rate-limit fields every limited route answers with (src/http/rate-limit.ts). */
const RATE_LIMIT_HEADERS = {
  RateLimit: {
    type: 'string',
    description: 'draft-ietf-httpapi-ratelimit-headers: the requests left (r) in this minute\'s window, which ends in t seconds, e.g. "token";r=1187;t=42',
  },
  'RateLimit-Policy': {
    type: 'string',
    description: 'the limit in force: "token" (RATE_LIMIT_PER_TOKEN a minute per token) or, for a request without a valid token, "ip" (RATE_LIMIT_PER_IP unauthenticated or failed requests a minute per address), e.g. "token";q=1200;w=60',
  },
}
/**
 * The swagger `transformObject` step: the rate-limit headers, inlined on every answer of every limited route by
 * documentFrameworkProblems, become references to one definition each under components.headers (here, after the
 * conversion: @fastify/swagger would wrap a `$ref` header given to the route in `schema`).
 */
export function referRateLimitHeaders<T extends { paths?: object; components?: object }>(document: T): T {
  for (const operations of Object.values(document.paths ?? {}) as Record<string, { responses?: Record<string, { headers?: Record<string, unknown> }> }>[]) {
    for (const operation of Object.values(operations)) {
      for (const answer of Object.values(operation.responses ?? {})) {
        for (const name of Object.keys(RATE_LIMIT_HEADERS)) {
          if (answer.headers?.[name]) answer.headers[name] = { $ref: `#/components/headers/${name}` }
        }
      }
    }
  }
  const headers = Object.fromEntries(Object.entries(RATE_LIMIT_HEADERS).map(([name, { type, description }]) => [name, { schema: { type }, description }]))
  return { ...document, components: { ...document.components, headers: { ...(document.components as { headers?: object } | undefined)?.headers, ...headers } } }
}
const LINK_NEXT = { link: { type: 'string', description: 'RFC 8288: `<URL of the next page>; rel="next"`, present when nextCursor is' } }
const RETRY_AFTER_LIMIT = { 'retry-after': { type: 'string', description: 'seconds until the rate-limit window ends' } }

function problemResponse(status: number) {
  return {
    description: DESCRIPTIONS[status] ?? 'Problem',
    ...(status === 503 ? { headers: RETRY_AFTER } : {}),
    content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
  }
}

/** Documents the problem+json answers a route can give; every /v1 route can answer 400, 401, 403, 500 and 503. */
export function problemResponses(...codes: (ProblemCode | number)[]): Record<number, unknown> {
  const statuses = new Set<number>([400, 401, 403, 500, 503])
  for (const code of codes) statuses.add(typeof code === 'number' ? code : statusOf(code))
  return Object.fromEntries([...statuses].sort().map((status) => [status, problemResponse(status)]))
}

/** Problem responses for routes without authentication. */
export function publicProblemResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries([...new Set([...statuses, 500])].sort().map((status) => [status, problemResponse(status)]))
}

export function json<T extends TSchema>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

export const Uuid = Type.String({ format: 'uuid' })
export const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description })
export const DateTime = Type.String({ format: 'date-time' })
export const IdParams = Type.Object({ id: Uuid })

/** What the HTTP layer answers on the route at `url` before the route runs (see documentFrameworkProblems). */
export function frameworkProblemResponses(url: string): Record<number, unknown> {
  const statuses = [408, 431, 503, ...(url.includes(':') ? [414] : []), ...(isLimited(url) ? [429] : [])]
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)]))
}

/** The same in the document's own form, for a path added to it after the conversion (the Swagger UI page). */
export function documentedFrameworkProblems(url: string): Record<number, unknown> {
  return Object.fromEntries(Object.entries(frameworkProblemResponses(url)).map(([status, answer]) => {
    const { description, headers } = answer as { description: string; headers?: Record<string, { type: string; description: string }> }
    return [status, {
      description,
      ...(headers ? { headers: Object.fromEntries(Object.entries(headers).map(([name, { type, description }]) => [name, { schema: { type }, description }])) } : {}),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    }]
  }))
}

/**
 * Documents what the HTTP layer answers on any route before the route runs (408, 431, 503 while shutting down) and,
 * where the path has a parameter, 414: the swagger `transform`, so the document says it without each route repeating it.
 */
export function documentFrameworkProblems({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if ((schema as { hide?: boolean } | undefined)?.hide ?? !schema) return { schema, url }
  const limited = isLimited(url)
  const response: Record<number, unknown> = { ...frameworkProblemResponses(url), ...(schema.response as Record<number, unknown> | undefined) }
  // A list's answer: its next page is also in Link (src/http/link-next.plugin.ts).
  const ok = response[200] as { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }>; headers?: Record<string, unknown> } | undefined
  if (ok?.content?.['application/json']?.schema?.properties?.nextCursor) response[200] = { ...ok, headers: { ...ok.headers, ...LINK_NEXT } }
  if (limited) {
    // Every answer of a limited route says where the caller stands; a 429 also says when to come back.
    for (const [status, answer] of Object.entries(response)) {
      const object = answer as { description?: string; headers?: Record<string, unknown> }
      if (typeof object.description !== 'string') continue
      response[Number(status)] = { ...object, headers: { ...object.headers, ...(status === '429' ? RETRY_AFTER_LIMIT : {}), ...RATE_LIMIT_HEADERS } }
    }
  }
  return { schema: { ...schema, response }, url }
}

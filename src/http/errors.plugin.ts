import { STATUS_CODES as HTTP_STATUS } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import inputPlugin from './input.plugin.js'
import { Problem, problems, type FieldError, type ProblemCode } from './problem.js'
import { isUnavailable, RETRY_AFTER_SECONDS, unavailableProblem } from './unavailable.js'

interface AjvLikeError {
  instancePath?: string
  message?: string
  keyword?: string
  params?: Record<string, unknown>
}

interface RawFieldError {
  field: string
  keyword: string | undefined
  message: string
  allowed?: unknown
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/**
 * One entry per failing field. A union of literals (TypeBox's enums) fails every branch with "must be equal to
 * constant" plus an anyOf error: those collapse into one "must be one of ..." naming the allowed values.
 */
function fieldErrors(error: FastifyError): FieldError[] {
  const where = error.validationContext ?? 'body'
  const raw: RawFieldError[] = ((error.validation as AjvLikeError[] | undefined) ?? []).map((e) => {
    const segments = (e.instancePath ?? '').split('/').filter(Boolean)
    const missing = e.keyword === 'required' ? e.params?.missingProperty : undefined
    const extra = e.keyword === 'additionalProperties' ? e.params?.additionalProperty : undefined
    if (typeof missing === 'string') segments.push(missing)
    if (typeof extra === 'string') segments.push(extra)
    const field = [where, ...segments].join('.')
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'enum') message = `must be one of ${((e.params?.allowedValues as unknown[]) ?? []).map(describeValue).join(', ')}`
    if (missing !== undefined) message = 'is required'
    if (extra !== undefined) message = 'is not a known field'
    return { field, keyword: e.keyword, message, allowed: e.params?.allowedValue }
  })
  const byField = new Map<string, RawFieldError[]>()
  for (const entry of raw) {
    const entries = byField.get(entry.field)
    if (entries) entries.push(entry)
    else byField.set(entry.field, [entry])
  }
  const result: FieldError[] = []
  for (const [field, entries] of byField) {
    const messages: string[] = []
    if (entries.some((e) => e.keyword === 'anyOf')) {
      const constants = entries.filter((e) => e.keyword === 'const').map((e) => describeValue(e.allowed))
      messages.push([
        ...entries.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'const').map((e) => e.message),
        ...(constants.length > 0 ? [constants.length === 1 ? `must be "${constants[0]}"` : `must be one of ${constants.join(', ')}`] : []),
      ].join(' or ') || 'does not match any allowed form')
    } else {
      messages.push(...entries.map((e) => e.message))
    }
    for (const message of new Set(messages)) result.push({ field, message })
  }
  return result
}

const FRAMEWORK_CODES: Record<string, (error: FastifyError) => Problem> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) =>
    new Problem('unsupported_media_type', `${e.message}; send application/json`),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new Problem('payload_too_large', 'the request body is larger than allowed'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new Problem('invalid_json', 'the request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new Problem('invalid_json', 'the request has Content-Type application/json but an empty body'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new Problem('validation_failed', 'Content-Length does not match the body'),
  FST_ERR_BAD_URL: () => new Problem('not_found', 'the URL could not be decoded'),
  FST_ERR_MAX_PARAM_LENGTH: () => new Problem('uri_too_long', 'a path parameter is longer than any id this API serves'),
}

/** Client errors from libraries keep their status; 4xx without a closer code are validation_failed. */
const STATUS_CODES: Partial<Record<number, ProblemCode>> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  428: 'precondition_required',
}

/** Fastify's own messages describe the request; any other library's message may carry internals. */
function frameworkDetail(error: FastifyError, fallback: string): string {
  return error.code?.startsWith('FST_') ? error.message : fallback
}

const BODY_PROBLEMS = new Set<ProblemCode>(['invalid_json', 'payload_too_large', 'unsupported_media_type', 'validation_failed'])

export function toProblem(error: FastifyError | Error): Problem {
  if (error instanceof Problem) return error
  if (isUnavailable(error)) return unavailableProblem()
  const fastifyError = error as FastifyError
  if (fastifyError.validation) return problems.validation(fieldErrors(fastifyError))
  const mapped = fastifyError.code ? FRAMEWORK_CODES[fastifyError.code] : undefined
  if (mapped) return mapped(fastifyError)
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new Problem('invalid_json', 'the request body is not valid JSON')
  }
  const status = fastifyError.statusCode ?? 500
  if (status === 413) return new Problem('payload_too_large', 'the request body is larger than allowed')
  if (status === 415) return new Problem('unsupported_media_type', 'this content type is not accepted here')
  if (status === 429) return new Problem('rate_limited', 'too many requests; retry later')
  const byStatus = STATUS_CODES[status]
  if (byStatus) return new Problem(byStatus, frameworkDetail(fastifyError, 'the request was refused'))
  if (status >= 400 && status < 500) {
    return new Problem('validation_failed', frameworkDetail(fastifyError, 'the request could not be processed'))
  }
  return new Problem('internal_error', 'something went wrong on our side; the request id identifies it in our logs')
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.status(problem.status).type('application/problem+json').send(problem.body(request.url.length > SHOWN_PATH ? undefined : request.url))
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route or hook runs (a path parameter over
 * `maxParamLength`: 414; an undecodable URL) leaves as problem+json like everything else.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toProblem(error)
  request.log.info({ code: problem.code }, 'request refused')
  reply.header('x-request-id', request.id)
  // No `instance`: the URL is what was refused, and it may be kilobytes long.
  reply.status(problem.status).type('application/problem+json').send(problem.body())
}

const CLIENT_ERRORS: Partial<Record<string, Problem>> = {
  ERR_HTTP_REQUEST_TIMEOUT: new Problem('request_timeout', 'the request was not received in time'),
  HPE_HEADER_OVERFLOW: new Problem('headers_too_large', 'the request line and headers are larger than allowed'),
}

/**
 * Fastify's `clientErrorHandler` (Node's `clientError`): the request could not even be parsed, so there is no request
 * or reply and the answer is written to the socket, as problem+json (Fastify's default writes its own JSON).
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const problem = CLIENT_ERRORS[error.code ?? ''] ?? new Problem('bad_request', 'the request is not valid HTTP')
  if (socket.writable) {
    const body = JSON.stringify(problem.body())
    socket.write(`HTTP/1.1 ${problem.status} ${HTTP_STATUS[problem.status]}\r\nConnection: close\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
  socket.destroy(error)
}

/** One error handler for the whole app: every error leaves as problem+json and no 5xx leaks its cause. */
export default fp(
  async function errorsPlugin(app: FastifyInstance) {
    // The API speaks JSON only: Fastify's built-in text/plain parser would let a text body reach the schema as a
    // string (400 "must be object") instead of answering 415 unsupported_media_type.
    app.removeContentTypeParser('text/plain')
    // Text Postgres cannot store (NUL, unpaired surrogates) is a client mistake: refused here rather than a 500 later.
    await app.register(inputPlugin)
    app.setErrorHandler((error: FastifyError, request, reply) => {
      let problem = toProblem(error)
      // Fastify parses the body before it runs the not-found handler: a bad body sent to no route is still a 404.
      if (!request.routeOptions.url && BODY_PROBLEMS.has(problem.code)) problem = notFound(request)
      // An outage makes every request fail the same way: one warn line each, without a stack, keeps the log readable.
      if (problem.code === 'service_unavailable') request.log.warn({ cause: error.code ?? error.message }, 'request refused: a backing service is unavailable')
      else if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
      else request.log.info({ code: problem.code, detail: problem.message }, 'request refused')
      if (problem.status === 429 && fastifyRetryAfter(error)) reply.header('retry-after', fastifyRetryAfter(error))
      if (problem.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS))
      return sendProblem(request, reply, problem)
    })
    app.setNotFoundHandler((request, reply) => sendProblem(request, reply, notFound(request)))
    // Fastify's own 503 while closing (return503OnClosing) is plain JSON: the app turns that off and answers here.
    let closing = false
    app.addHook('preClose', async () => {
      closing = true
    })
    app.addHook('onRequest', async (request, reply) => {
      if (!closing) return
      reply.header('connection', 'close').header('retry-after', String(RETRY_AFTER_SECONDS))
      return sendProblem(request, reply, new Problem('service_unavailable', 'this server is shutting down; retry the request'))
    })
  },
  { name: 'errors' },
)

const SHOWN_PATH = 200

function notFound(request: FastifyRequest): Problem {
  const path = request.url.split('?')[0]!
  return new Problem('not_found', `no route ${request.method} ${path.length > SHOWN_PATH ? `${path.slice(0, SHOWN_PATH)}...` : path}`)
}

function fastifyRetryAfter(error: unknown): string | undefined {
  const value = (error as { retryAfter?: unknown }).retryAfter
  return value === undefined ? undefined : String(value)
}

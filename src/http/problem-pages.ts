import type { FastifyPluginAsync } from 'fastify'
import { Problem, TITLES, type ProblemCode } from './problem.js'
import { publicProblemResponses } from './schemas.js'

/** What each problem means and what the caller can do about it: the page its `type` resolves to. */
const MEANING: Record<ProblemCode, string> = {
  unauthorized: 'The request carries no token, or one that is unknown or belongs to a deactivated user. Send `Authorization: Bearer <token>` with a token an admin created (POST /v1/users or `hotline users create`).',
  forbidden: 'The token is valid but its role may not do this, or the complaint is not yours to act on (another agent holds it, a supervisor below the escalation level, an integration reading a complaint it did not create). `detail` says which rule refused it.',
  authority_exceeded: 'The compensation is above your limit (an agent\'s `compensationLimit`, a supervisor\'s level). Escalate the complaint instead: a supervisor with the authority will resolve it.',
  not_found: 'No route serves this path, or the resource it names does not exist (or is not visible to you).',
  method_not_allowed: 'The path exists but not with this HTTP method.',
  invalid_transition: 'The complaint\'s state does not allow this action now. `allowed` lists the actions it does allow; read the complaint again and choose one of them.',
  version_conflict: 'The `If-Match` version is not the current one: someone changed the resource since you read it. Read it again, then decide whether your change still applies.',
  precondition_required: 'This change needs an `If-Match` header with the version you read.',
  validation_failed: 'The request does not match the schema. `errors` lists the failing fields (at most 20; `moreErrors` counts the rest) with what each must be.',
  invalid_json: 'The body is not well-formed JSON.',
  idempotency_mismatch: 'This `Idempotency-Key` was used before with a different body. Use a new key for a new request, or send the same body to get the first answer again.',
  idempotency_in_progress: 'A request with this `Idempotency-Key` is still being processed. Retry shortly: you will get its answer.',
  payload_too_large: 'The body is larger than the server accepts (`BODY_LIMIT_BYTES`, or `WEBHOOK_BODY_LIMIT_BYTES` on the signed intake).',
  unsupported_media_type: 'The API accepts `application/json` bodies only.',
  not_acceptable: 'The `Accept` header asks for a format this route cannot answer in.',
  rate_limited: 'Too many requests in this minute: per token (`RATE_LIMIT_PER_TOKEN`), per address for failed requests (`RATE_LIMIT_PER_IP`), or per integration on the signed intake (`WEBHOOK_RATE_LIMIT`). Wait `Retry-After` seconds; the `RateLimit` field says how many requests are left.',
  invalid_signature: 'The signed intake could not verify the Standard Webhooks signature: a wrong secret, a body changed on the way, or a `webhook-timestamp` more than five minutes off.',
  conflict: 'The request conflicts with the current state of the resource; `detail` says how.',
  service_unavailable: 'Postgres (or, for /readyz, Redis) is unreachable, or the server is shutting down. Nothing was changed; retry after `Retry-After` seconds.',
  internal_error: 'An unexpected error. It is logged with the request id (`x-request-id`); report that id.',
  uri_too_long: 'A path parameter is longer than any id the API uses.',
  request_timeout: 'The request did not arrive completely in time.',
  headers_too_large: 'The request line and headers are larger than the server accepts.',
  bad_request: 'The request is not valid HTTP.',
  merge_customer_mismatch: 'Only complaints of the same customer can be merged. For many customers calling about one cause, link their complaints to an incident.',
  extension_pending: 'An extension of this promise is already waiting for a supervisor\'s decision.',
  no_pending_extension: 'There is no extension request waiting for a decision on this complaint.',
  send_back_window_passed: 'A transferred complaint can only be sent back within the window the SLA policy allows after the transfer.',
  reopen_window_passed: 'A closed complaint can only be reopened within the window the SLA policy allows after it closed.',
  complaint_closed: 'Only open complaints (received, logged or escalated) can be linked to an incident; this one is in follow-up or closed. Nothing in the request was linked.',
  already_linked: 'The complaint is linked to another incident. Unlink it there first (DELETE /v1/incidents/{id}/complaints/{complaintId}). Nothing in the request was linked.',
  incident_resolved: 'The incident is resolved: it takes no more complaints. Create a new incident for a new cause.',
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const prose = (text: string) => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>')

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code{background:#f2f2f2;padding:0 .2em}dt{font-weight:600;margin-top:1rem}</style></head><body>${body}</body></html>`
}

const isCode = (code: string): code is ProblemCode => Object.hasOwn(TITLES, code)

/** GET /problems and /problems/{code}: what every problem `type` resolves to. */
const problemPages: FastifyPluginAsync = async (app) => {
  app.get('/problems', {
    config: { public: true },
    schema: {
      tags: ['operations'], operationId: 'listProblemTypes', summary: 'Every problem code, what it means and what to do', security: [],
      description: 'An HTML page listing every problem `code` this API answers, with its status, title and what a client should do about it.',
      response: { 200: { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } }, ...publicProblemResponses() },
    },
  }, async (_request, reply) => {
    const items = (Object.keys(TITLES) as ProblemCode[]).map((code) =>
      `<dt><a href="/problems/${code}"><code>${code}</code></a> (${TITLES[code][0]}) ${escape(TITLES[code][1])}</dt><dd>${prose(MEANING[code])}</dd>`)
    return reply.type('text/html; charset=utf-8').send(page('Hotline problem types', `<h1>Problem types</h1>
<p>Every error is <code>application/problem+json</code> (RFC 9457) with a stable <code>code</code>; its <code>type</code> is the page below.</p><dl>${items.join('')}</dl>`))
  })

  app.get('/problems/:code', {
    config: { public: true },
    schema: {
      tags: ['operations'], operationId: 'getProblemType', summary: 'What one problem code means and what to do', security: [],
      description: 'The page a problem\'s `type` refers to (`/problems/{code}`, relative to the request URL): its status, title and what to do. An unknown code is 404.',
      params: { type: 'object', properties: { code: { type: 'string', maxLength: 100 } }, required: ['code'] },
      response: { 200: { description: 'An HTML page', content: { 'text/html': { schema: { type: 'string' } } } }, ...publicProblemResponses(404) },
    },
  }, async (request, reply) => {
    const { code } = request.params as { code: string }
    if (!isCode(code)) throw new Problem('not_found', `no problem type ${code}; GET /problems lists them`)
    const [status, title] = TITLES[code]
    return reply.type('text/html; charset=utf-8').send(page(`${code}: ${title}`, `<h1><code>${code}</code></h1>
<p><strong>${status} ${escape(title)}</strong></p><p>${prose(MEANING[code])}</p><p><a href="/problems">All problem types</a></p>`))
  })
}

export default problemPages

import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import { toAuthUser } from '../auth/auth.plugin.js'
import { RolledBackForIdempotency, type ComplaintService } from '../complaints/complaint.service.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { resumeCommand } from '../complaints/commands.js'
import { findIdempotencyKey, requestHash } from '../complaints/idempotency.js'
import { etag } from '../complaints/if-match.js'
import { unstorableFields } from '../http/input.plugin.js'
import { Problem, problems } from '../http/problem.js'
import { LOCATION_HEADER, REPLAYED_HEADER } from '../http/schemas.js'
import { findIntegration, verifySignature } from './intake-secrets.js'
import type { WebhookSettings } from './settings.js'
import { IntakeBody, IntakeHeaders, IntakeParams, ReplyBody, ReplyParams } from './webhook.schemas.js'
import { isUuid } from '../ids.js'
import { withSuggestions } from '../incidents/incident.view.js'

export interface IntakeRoutesOptions {
  service: ComplaintService
  /** The Redis key prefix of this deployment (not `prefix`: Fastify reads that as a route prefix). */
  keyPrefix: string
  settings: Pick<WebhookSettings, 'WEBHOOK_BODY_LIMIT_BYTES' | 'WEBHOOK_RATE_LIMIT'>
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Type.Ref('Problem') } } })
const INTAKE_PROBLEMS = {
  400: problem('The body is not JSON or does not match the schema (invalid_json, validation_failed); checked after the signature'),
  401: problem('Missing signature headers, a timestamp more than 5 minutes off, or no signature matching the exact body (invalid_signature)'),
  404: problem('No active integration has this id (not_found)'),
  413: problem('Body over WEBHOOK_BODY_LIMIT_BYTES (payload_too_large)'),
  415: problem('Not application/json (unsupported_media_type)'),
  422: problem('This webhook-id was used with another body (idempotency_mismatch)'),
  429: {
    ...problem('Over WEBHOOK_RATE_LIMIT deliveries a minute for this integration (rate_limited)'),
    headers: { 'retry-after': { type: 'integer', description: 'seconds until the window resets' } },
  },
  500: problem('Unexpected server error (internal_error)'),
}


/**
 * The signed intake. Its own plugin context: the body is kept as the exact raw string (the signature covers those
 * bytes), verified first, and only then parsed and validated against the schema. Order of refusals: media type
 * (415), size (413), integration (404), signature (401), rate limit (429), JSON and schema (400).
 */
const intakeRoutes: FastifyPluginAsyncTypebox<IntakeRoutesOptions> = async (app, { service, keyPrefix, settings }) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  const parseJson = app.getDefaultJsonParser('error', 'error')

  // Counted in Redis, so the limit holds across every API process; if Redis is away the intake stays open. It runs
  // after the route's own preValidation (the signature check): only signed requests count, so nobody without the
  // secret can use up an integration's allowance. Unsigned floods are for per-IP limits in front of the API.
  await app.register(rateLimit, {
    global: false,
    hook: 'preValidation',
    redis: app.redis,
    nameSpace: `${keyPrefix}:intake-rate:`,
    skipOnError: true,
    keyGenerator: (request) => (request.params as { integrationId?: string }).integrationId ?? '',
    errorResponseBuilder: (_request, context) =>
      new Problem('rate_limited', `more than ${context.max} deliveries a minute from this integration; retry in ${context.after}`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  })

  const parse = (request: FastifyRequest, raw: string) =>
    new Promise<unknown>((resolve, reject) => {
      parseJson(request, raw, (error, value) => (error ? reject(error) : resolve(value)))
    })

  /** Finds the integration, verifies the signature over the raw body, then parses and checks the JSON. */
  const verifiedIntake = async (request: FastifyRequest) => {
    const { integrationId } = request.params as { integrationId: string }
    const integration = isUuid(integrationId) ? await findIntegration(app.db, integrationId) : undefined
    if (!integration) throw problems.notFound('active integration')
    const raw = typeof request.body === 'string' ? request.body : ''
    verifySignature(raw, request.headers, integration.secrets)
    request.user = toAuthUser(integration.user)
    let body: unknown
    try {
      body = await parse(request, raw)
    } catch {
      throw new Problem('invalid_json', 'the request body is not valid JSON')
    }
    const unstorable = unstorableFields(body, 'body')
    if (unstorable.length > 0) throw problems.validation(unstorable)
    request.body = body as typeof request.body
  }

  app.post('/v1/webhooks/:integrationId/complaints', {
    config: { public: true, rateLimit: { max: settings.WEBHOOK_RATE_LIMIT, timeWindow: 60_000 } },
    bodyLimit: settings.WEBHOOK_BODY_LIMIT_BYTES,
    schema: {
      tags: ['webhooks'],
      operationId: 'receiveWebhookComplaint',
      summary: 'An integration posts a complaint (Standard Webhooks signature); it lands in received',
      description:
        "Signed with the integration's secret per Standard Webhooks over the exact body; webhook-id is the idempotency " +
        'key: a redelivery answers 200 with the same complaint and creates nothing. A deactivated or unknown ' +
        'integration answers 404. Limited per integration per minute (429 with Retry-After).',
      security: [],
      params: IntakeParams,
      headers: IntakeHeaders,
      body: IntakeBody,
      response: {
        200: {
          description: 'A redelivery of a webhook-id already taken (Idempotent-Replayed: true): the same complaint',
          headers: { etag: { type: 'string', description: 'the complaint version, "<version>"' }, location: LOCATION_HEADER, 'idempotent-replayed': REPLAYED_HEADER },
          content: { 'application/json': { schema: Type.Ref('Complaint') } },
        },
        202: {
          description: 'Accepted: the complaint, in received, with its triage deadline and the open incidents it may belong to',
          headers: { etag: { type: 'string', description: 'the complaint version, "<version>"' }, location: { type: 'string', description: 'the URL of the complaint' } },
          content: { 'application/json': { schema: Type.Ref('IntakeComplaint') } },
        },
        ...INTAKE_PROBLEMS,
      },
    },
    preValidation: verifiedIntake,
  }, async (request, reply) => {
    const { record, replayed, suggestedIncidents } = await service.create(request.user, request.body, request.headers['webhook-id'], 'received')
    reply.status(replayed ? 200 : 202).header('location', `/v1/complaints/${record.complaint.id}`)
      .header('etag', etag(record.complaint.version))
    if (replayed) reply.header('idempotent-replayed', 'true')
    return withSuggestions(presentComplaint(record, request.user), suggestedIncidents)
  })

  // The customer's reply, relayed by the integration that sent the complaint, restarts the response clock of a
  // complaint waiting for the customer. webhook-id is the idempotency key: a redelivery answers with the complaint.
  app.post('/v1/webhooks/:integrationId/complaints/:complaintId/replies', {
    config: { public: true, rateLimit: { max: settings.WEBHOOK_RATE_LIMIT, timeWindow: 60_000 } },
    bodyLimit: settings.WEBHOOK_BODY_LIMIT_BYTES,
    schema: {
      tags: ['webhooks'],
      operationId: 'receiveWebhookReply',
      summary: "An integration relays the customer's reply (Standard Webhooks signature); the response clock restarts",
      description:
        'For a complaint this integration sent that is waiting for the customer (await-customer): the reply is recorded ' +
        'and the response deadlines move by the time spent waiting. A redelivered webhook-id answers 200 with the ' +
        'complaint and changes nothing; a complaint that is not waiting answers 409 invalid_transition.',
      security: [],
      params: ReplyParams,
      headers: IntakeHeaders,
      body: ReplyBody,
      response: {
        200: {
          description: 'The complaint, its clock running again (or, for a redelivery, as it is now)',
          headers: { etag: { type: 'string', description: 'the complaint version, "<version>"' }, 'idempotent-replayed': REPLAYED_HEADER },
          content: { 'application/json': { schema: Type.Ref('Complaint') } },
        },
        ...INTAKE_PROBLEMS,
        404: problem('No active integration has this id, or it did not send this complaint (not_found)'),
        409: problem('The complaint is not waiting for the customer (invalid_transition)'),
      },
    },
    preValidation: verifiedIntake,
  }, async (request, reply) => {
    const webhookId = request.headers['webhook-id']
    const { complaintId } = request.params
    const hash = requestHash(request.body)
    const replayed = async () => {
      const seen = await findIdempotencyKey(app.db, request.user.id, webhookId)
      if (!seen) return undefined
      if (seen.complaintId !== complaintId || seen.requestHash !== hash) {
        throw new Problem('idempotency_mismatch', 'this webhook-id was used with another request')
      }
      const record = await service.get(request.user, complaintId)
      reply.header('etag', etag(record.complaint.version)).header('idempotent-replayed', 'true')
      return presentComplaint(record, request.user)
    }
    const earlier = await replayed()
    if (earlier) return earlier
    try {
      // The webhook-id is claimed in the resume's own transaction: a crash or a concurrent redelivery cannot leave
      // the clock resumed with the id unrecorded (which would answer the redelivery 409 instead of 200).
      const record = await service.act(request.user, complaintId, undefined, (actor) => resumeCommand(actor, { note: request.body.text }),
        { key: webhookId, hash })
      reply.header('etag', etag(record.complaint.version))
      return presentComplaint(record, request.user)
    } catch (error) {
      // A concurrent redelivery won: it either took the id first or resumed the clock first (then ours is refused).
      const lost = error instanceof RolledBackForIdempotency || (error instanceof Problem && error.code === 'invalid_transition')
      const concurrent = lost ? await replayed() : undefined
      if (concurrent) return concurrent
      throw error
    }
  })
}

export default intakeRoutes


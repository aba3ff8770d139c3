import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import authPlugin from './auth/auth.plugin.js'
import usersRoutes from './auth/users.routes.js'
import { User } from './auth/users.schemas.js'
import { Complaint, State } from './complaints/complaint.schemas.js'
import { Incident, IncidentDetail, IntakeComplaint } from './incidents/incident.schemas.js'
import incidentRoutes from './incidents/incidents.routes.js'
import { IncidentService } from './incidents/incident.service.js'
import complaintRoutes from './complaints/complaint.routes.js'
import similarRoutes from './search/similar.routes.js'
import customerRoutes from './customers/customers.routes.js'
import { commitPipeline } from './commit-pipeline.js'
import { ComplaintService } from './complaints/complaint.service.js'
import type { Config } from './config.js'
import type { Db } from './db/database.js'
import dbPlugin from './db/db.plugin.js'
import healthRoutes from './health/health.routes.js'
import errorsPlugin, { clientErrorHandler, frameworkErrors } from './http/errors.plugin.js'
import { AJV_OPTIONS, partAwareValidator } from './http/validator.js'
import rateLimitPlugin from './http/rate-limit.plugin.js'
import problemPages from './http/problem-pages.js'
import linkNextPlugin from './http/link-next.plugin.js'
import { documentFrameworkProblems, documentedFrameworkProblems, referRateLimitHeaders, json, ProblemSchema, publicProblemResponses } from './http/schemas.js'
import redisPlugin from './redis.plugin.js'
import escalationRoutes from './escalations/escalations.routes.js'
import followUpRoutes from './follow-ups/follow-ups.routes.js'
import extensionRequestsRoutes from './complaints/extension-requests.routes.js'
import meRoutes from './live/me.routes.js'
import { StreamTickets } from './live/stream-tickets.js'
import streamTicketRoutes from './live/stream-tickets.routes.js'
import boardRoutes from './board/board.routes.js'
import { LiveHub } from './live/live-hub.js'
import reportsRoutes from './reports/reports.routes.js'
import policyRoutes from './sla/policy.routes.js'
import { webhookSettings, type WebhookSettings } from './webhooks/settings.js'
import webhooksPlugin from './webhooks/webhooks.plugin.js'
import { documentWebhooks } from './webhooks/event.schemas.js'
import queueConsole, { documentQueueConsole } from './admin/queues.plugin.js'
import { Metrics } from './metrics/metrics.js'
import metricsPlugin from './metrics/metrics.plugin.js'
import notificationRoutes from './notifications/notifications.routes.js'
import { notifySettings, type NotifyConfig } from './notifications/settings.js'

export interface AppDependencies {
  config: Pick<Config, 'BODY_LIMIT_BYTES' | 'DEFAULT_PHONE_COUNTRY' | 'QUEUE_PREFIX'> & Partial<WebhookSettings> &
    Partial<Pick<Config, 'TIMER_HORIZON_MS' | 'RATE_LIMIT_PER_TOKEN' | 'RATE_LIMIT_PER_IP'>> & NotifyConfig
  db: Db
  redis: Redis
  logger: Logger
  /** The time source of transitions (tests set it to walk a calendar). */
  clock?: () => Date
  /** This process's metrics registry (made here when not given; `npm start` shares it with the worker). */
  metrics?: Metrics
}

const DOCS_PATH = {
  get: {
    operationId: 'swaggerUi',
    tags: ['operations'],
    summary: 'Swagger UI for this API',
    description: 'An HTML page that renders this document (/openapi.json) and lets a user with a token try the operations. Never rate-limited.',
    security: [],
    responses: {
      200: { description: 'The Swagger UI page', content: { 'text/html': { schema: { type: 'string' as const } } } },
      ...documentedFrameworkProblems('/docs'),
    },
  },
}

const REQUEST_ID = /^[\w.:-]{1,128}$/

export const OPENAPI_INFO = {
  title: 'Hotline API',
  version: '1.0.0',
  contact: { name: 'Hotline maintainers' },
  description:
    'Complaint-handling workflow: hotline agents log and resolve complaints, supervisors work escalations, ' +
    'integrations post complaints through signed webhooks. Every error is application/problem+json (RFC 9457) ' +
    'with a stable `code`, the answers of the HTTP layer included: `not_found` (404) for a path no route serves, ' +
    '`uri_too_long` (414) for a path parameter over 100 characters, `request_timeout` (408), `headers_too_large` (431), ' +
    '`bad_request` (400) for a request that is not valid HTTP, `payload_too_large` (413), `unsupported_media_type` (415) ' +
    'and `service_unavailable` (503, with Retry-After) while a server shuts down. A `validation_failed` answer lists at ' +
    'most 20 failing fields in `errors` and counts the rest in `moreErrors`. A problem\'s `type` is a relative reference ' +
    'to the page this server serves for its code (`/problems/{code}`; `/problems` lists them all).',
  license: { name: 'UNLICENSED', identifier: 'LicenseRef-Proprietary' },
}

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    // genReqId reads x-request-id itself and keeps it only when sane; Fastify's own header option would echo anything.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    // JSON bodies are validated without coercion; query strings, params and headers convert from text (validator.ts).
    ajv: AJV_OPTIONS,
    schemaController: { compilersFactory: { buildValidator: partAwareValidator() } },
    // Every answer Fastify would give in its own JSON is problem+json (errors.plugin.ts), 503 while closing included.
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an opaque user token' },
          streamTicket: { type: 'apiKey', in: 'query', name: 'ticket', description: 'event streams only: a single-use ticket from POST /v1/stream-tickets' },
        },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'complaints', description: 'The complaint lifecycle' },
        { name: 'users', description: 'Users, roles and tokens' },
        { name: 'sla', description: 'Deadlines promised to customers' },
        { name: 'escalations', description: "Supervisors' inbox and live stream" },
        { name: 'follow-ups', description: 'Calls back to customers after resolution' },
        { name: 'reports', description: 'Figures to learn from: by category, team, product, region, agent, month' },
        { name: 'webhooks', description: 'Signed intake from integrations; outbound event webhooks' },
        { name: 'notifications', description: 'Messages to customers (email, SMS) and their templates' },
        { name: 'customers', description: 'The people who complain: their details, tier and preferences' },
        { name: 'incidents', description: 'Many callers, one cause (并单): complaints of many customers handled and resolved once' },
        { name: 'operations', description: 'Health and documentation' },
      ],
    },
    transform: documentFrameworkProblems,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}` },
    // Swagger UI's routes are registered hidden by its plugin; its entry page is still a route we serve.
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject
      const { openapiObject } = document
      openapiObject.paths = { ...openapiObject.paths, '/docs': DOCS_PATH }
      return documentWebhooks(referRateLimitHeaders(documentQueueConsole(openapiObject)))
    },
  })
  for (const schema of [ProblemSchema, State, Complaint, User, Incident, IncidentDetail, IntakeComplaint]) app.addSchema(schema)

  await app.register(errorsPlugin)
  const metrics = deps.metrics ?? new Metrics({ db: deps.db })
  await app.register(metricsPlugin, { metrics: metrics.watchComplaints() })
  await app.register(dbPlugin, { db: deps.db })
  await app.register(redisPlugin, { redis: deps.redis })
  // Unset (tests, benchmarks building the app themselves): no limit. The process's configuration always sets both.
  await app.register(rateLimitPlugin, { perToken: deps.config.RATE_LIMIT_PER_TOKEN ?? 0, perIp: deps.config.RATE_LIMIT_PER_IP ?? 0, now: deps.clock && (() => deps.clock!().getTime()) })
  const tickets = new StreamTickets(deps.redis, deps.config.QUEUE_PREFIX, deps.clock)
  await app.register(authPlugin, { tickets })

  const pipeline = commitPipeline(deps.redis, deps.config.QUEUE_PREFIX, { logger: deps.logger, metrics, horizonMs: deps.config.TIMER_HORIZON_MS })
  const { scheduler, deliveries } = pipeline
  app.addHook('onClose', pipeline.close)
  metrics.watchQueues([scheduler.queues.timers, scheduler.queues.escalations, deliveries.queue])
  const service = new ComplaintService({
    db: deps.db,
    defaultPhoneCountry: deps.config.DEFAULT_PHONE_COUNTRY,
    afterCommit: pipeline.afterCommit,
    clock: deps.clock,
    logger: deps.logger,
    timerHorizonMs: deps.config.TIMER_HORIZON_MS,
    notify: notifySettings(deps.config),
  })
  await app.register(healthRoutes)
  await app.register(problemPages)
  await app.register(linkNextPlugin)
  await app.register(usersRoutes)
  await app.register(policyRoutes)
  // One Redis subscription for every stream of this process.
  const hub = new LiveHub(deps.redis, deps.config.QUEUE_PREFIX, deps.logger)
  await app.register(escalationRoutes, { hub })
  await app.register(meRoutes, { hub, ...(deps.clock ? { clock: deps.clock } : {}) })
  await app.register(streamTicketRoutes, { tickets })
  await app.register(followUpRoutes)
  await app.register(extensionRequestsRoutes)
  await app.register(reportsRoutes)
  await app.register(webhooksPlugin, { service, queue: deliveries, settings: webhookSettings(deps.config) })
  await app.register(complaintRoutes, { service, defaultPhoneCountry: deps.config.DEFAULT_PHONE_COUNTRY })
  await app.register(incidentRoutes, { service: new IncidentService(deps.db, service) })
  await app.register(similarRoutes)
  await app.register(notificationRoutes)
  await app.register(customerRoutes)
  await app.register(boardRoutes)

  app.get('/openapi.json', {
    config: { public: true },
    schema: {
      operationId: 'getOpenApi',
      tags: ['operations'],
      summary: 'This OpenAPI document',
      description: 'The document openapi.yaml holds, generated from the route schemas: the operations and, under `webhooks`, every event Hotline posts to a registered endpoint. Never rate-limited.',
      security: [],
      response: { 200: json(Type.Object({}, { additionalProperties: true }), 'OpenAPI 3.1 document'), ...publicProblemResponses() },
    },
  }, async () => app.swagger())
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } })
  await app.register(queueConsole, { queues: [scheduler.queues.timers, scheduler.queues.escalations, deliveries.queue] })
  return app
}

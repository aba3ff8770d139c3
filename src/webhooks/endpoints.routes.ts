import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Db } from '../db/database.js'
import { Problem, problems } from '../http/problem.js'
import { pageOf } from '../http/paging.js'
import { IdParams, json, LOCATION_HEADER, problemResponses } from '../http/schemas.js'
import type { AddressPolicy } from './address-policy.js'
import { getDelivery, listDeliveries, replayDelivery } from './deliveries.list.js'
import type { DeliveryQueue } from './delivery-queue.js'
import {
  deleteEndpoint, findEndpoint, insertEndpoint, listEndpoints, presentEndpoint, updateEndpoint,
} from './endpoints.repository.js'
import { CreatedEndpoint, CreateEndpointBody, DeliveriesQuery, EndpointsQuery, DeliveryParams, PingAccepted, UpdateEndpointBody } from './webhook.schemas.js'
import { insertPing } from './ping.js'

export interface EndpointRoutesOptions {
  queue: DeliveryQueue
  policy: AddressPolicy
}

async function checkTarget(db: Db, policy: AddressPolicy, body: { url?: string; integrationId?: string | null }) {
  if (body.url !== undefined) {
    const refused = URL.canParse(body.url) ? policy.refusal(new URL(body.url)) : 'must be an absolute URL'
    if (refused) throw problems.validation([{ field: 'body.url', message: refused }])
  }
  if (body.integrationId) {
    const integration = await db.selectFrom('users').select('id').where('id', '=', body.integrationId)
      .where('role', '=', 'integration').executeTakeFirst()
    if (!integration) throw problems.validation([{ field: 'body.integrationId', message: 'is not an integration' }])
  }
}

const endpointRoutes: FastifyPluginAsyncTypebox<EndpointRoutesOptions> = async (app, { queue, policy }) => {
  const admin = { roles: ['admin'] as const }
  const tags = ['webhooks']

  app.post('/v1/webhook-endpoints', {
    config: admin,
    schema: {
      tags, operationId: 'createWebhookEndpoint', summary: 'Register an endpoint for outbound events; its secret is shown once',
      description: 'Admins only. The endpoint is sent every event it subscribes to (the `webhooks` of this document), signed per Standard Webhooks with the `secret` answered here once. With `integrationId` it hears only of the complaints that integration created. A URL whose address is private or loopback is refused unless WEBHOOK_ALLOWED_HOSTS names it.',
      body: CreateEndpointBody,
      response: { 201: { ...json(CreatedEndpoint, 'The endpoint, with its signing secret'), headers: { location: LOCATION_HEADER } }, ...problemResponses(413, 415) },
    },
  }, async (request, reply) => {
    await checkTarget(app.db, policy, request.body)
    const row = await insertEndpoint(app.db, {
      url: request.body.url, events: request.body.events as string[], integrationId: request.body.integrationId ?? null,
      description: request.body.description ?? null, createdBy: request.user.id,
    })
    reply.status(201).header('location', `/v1/webhook-endpoints/${row.id}`)
    return { ...presentEndpoint(row), secret: row.secret }
  })

  app.get('/v1/webhook-endpoints', {
    config: admin,
    schema: {
      tags, operationId: 'listWebhookEndpoints', summary: 'The registered endpoints, oldest first',
      description: 'Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      querystring: EndpointsQuery,
      response: { 200: json(pageOf(Type.Ref('WebhookEndpoint')), 'A page of endpoints, oldest first'), ...problemResponses() },
    },
  }, async (request) => {
    const { items, nextCursor } = await listEndpoints(app.db, request.query)
    return { items: items.map(presentEndpoint), nextCursor }
  })

  app.get('/v1/webhook-endpoints/:id', {
    config: admin,
    schema: {
      tags, operationId: 'getWebhookEndpoint', summary: 'One endpoint', params: IdParams,
      description: 'Admins only. The endpoint without its secret, with its health (`consecutiveFailures`, `failingSince`) and, when disabled, why.',
      response: { 200: json(Type.Ref('WebhookEndpoint'), 'The endpoint'), ...problemResponses('not_found') },
    },
  }, async (request) => {
    const row = await findEndpoint(app.db, request.params.id)
    if (!row) throw problems.notFound('webhook endpoint')
    return presentEndpoint(row)
  })

  app.patch('/v1/webhook-endpoints/:id', {
    config: admin,
    schema: {
      tags, operationId: 'updateWebhookEndpoint', summary: 'Change, stop or restart an endpoint', params: IdParams,
      description: 'Admins only. Only the fields sent change. `active: false` stops it and cancels what is pending (`disabledReason: manual`); `active: true` starts it again with a clean record.',
      body: UpdateEndpointBody,
      response: { 200: json(Type.Ref('WebhookEndpoint'), 'The updated endpoint'), ...problemResponses('not_found', 413, 415) },
    },
  }, async (request) => {
    await checkTarget(app.db, policy, request.body)
    const { events, ...rest } = request.body
    const row = await updateEndpoint(app.db, request.params.id, { ...rest, ...(events ? { events: events as string[] } : {}) })
    if (!row) throw problems.notFound('webhook endpoint')
    return presentEndpoint(row)
  })

  app.delete('/v1/webhook-endpoints/:id', {
    config: admin,
    schema: {
      tags, operationId: 'deleteWebhookEndpoint', summary: 'Remove an endpoint; what is pending for it is cancelled', params: IdParams,
      description: 'Admins only. The endpoint is sent nothing more; its deliveries are kept in the database but no longer listed.',
      response: { 204: { description: 'Removed', type: 'null' }, ...problemResponses('not_found') },
    },
  }, async (request, reply) => {
    if (!(await deleteEndpoint(app.db, request.params.id))) throw problems.notFound('webhook endpoint')
    return reply.status(204).send(null)
  })

  app.get('/v1/webhook-endpoints/:id/deliveries', {
    config: admin,
    schema: {
      tags, operationId: 'listWebhookDeliveries', summary: "The endpoint's deliveries, newest first, each with its attempts",
      description: 'Admins only. Filter by `status`. Each delivery lists its attempts (status code, error, duration, the start of the answer). Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      params: IdParams, querystring: DeliveriesQuery,
      response: {
        200: json(Type.Object({ items: Type.Array(Type.Ref('WebhookDelivery')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 'A page of deliveries'),
        ...problemResponses('not_found'),
      },
    },
  }, async (request) => {
    if (!(await findEndpoint(app.db, request.params.id))) throw problems.notFound('webhook endpoint')
    return listDeliveries(app.db, request.params.id, request.query)
  })

  app.post('/v1/webhook-endpoints/:id/deliveries/:deliveryId/replay', {
    config: admin,
    schema: {
      tags, operationId: 'replayWebhookDelivery', summary: 'Send a delivery again (same webhook-id), with a fresh run of retries',
      description: 'Admins only. A settled delivery goes back to pending, due now, at the head of its complaint\'s line; a pending one is made due now; one in flight answers 409 conflict. Its attempts keep their numbers.',
      params: DeliveryParams,
      response: {
        202: json(Type.Ref('WebhookDelivery'), 'The delivery, pending again'),
        ...problemResponses('not_found', 'conflict'),
      },
    },
  }, async (request, reply) => {
    const replayed = await replayDelivery(app.db, request.params.id, request.params.deliveryId)
    await queue.enqueueAfterCommit([{ deliveryId: replayed.id, attempts: replayed.attempts, tag: `replay-${Date.now()}` }])
    reply.status(202)
    return getDelivery(app.db, request.params.id, replayed.id)
  })

  app.post('/v1/webhook-endpoints/:id/ping', {
    config: admin,
    schema: {
      tags, operationId: 'pingWebhookEndpoint',
      summary: 'Send the endpoint a signed `ping` event now, to check its URL and secret',
      description: 'A delivery like any other (signed, retried on the webhook schedule, listed with the endpoint\'s deliveries) of ' +
        'the event `{type: "ping", timestamp, data: {endpointId}}`, caused by no complaint. A disabled endpoint is refused (409): enable it first.',
      params: IdParams,
      response: { 202: json(PingAccepted, 'The ping is on its way'), ...problemResponses('not_found', 'conflict') },
    },
  }, async (request, reply) => {
    const endpoint = await findEndpoint(app.db, request.params.id)
    if (!endpoint) throw problems.notFound('webhook endpoint')
    if (!endpoint.active) throw new Problem('conflict', 'the endpoint is disabled: enable it (PATCH active: true) before pinging it')
    const deliveryId = await insertPing(app.db, endpoint.id, new Date())
    await queue.enqueueAfterCommit([{ deliveryId, attempts: 0, failing: endpoint.consecutiveFailures > 0 }])
    reply.status(202)
    return { deliveryId }
  })
}

export default endpointRoutes

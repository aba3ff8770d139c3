import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { allowedHostList } from '../config.js'
import type { ComplaintService } from '../complaints/complaint.service.js'
import { AddressPolicy } from './address-policy.js'
import type { DeliveryQueue } from './delivery-queue.js'
import endpointRoutes from './endpoints.routes.js'
import intakeRoutes from './intake.routes.js'
import secretRoutes from './secrets.routes.js'
import type { WebhookSettings } from './settings.js'
import { Delivery, Endpoint, EventType } from './webhook.schemas.js'

export interface WebhooksPluginOptions {
  service: ComplaintService
  queue: DeliveryQueue
  settings: WebhookSettings
}

/** Everything webhook-shaped the API serves: the signed intake, secret rotation, outbound endpoints and deliveries. */
async function webhooksPlugin(app: FastifyInstance, { service, queue, settings }: WebhooksPluginOptions) {
  for (const schema of [EventType, Endpoint, Delivery]) app.addSchema(schema)
  const policy = new AddressPolicy(allowedHostList(settings.WEBHOOK_ALLOWED_HOSTS))
  await app.register(intakeRoutes, { service, keyPrefix: queue.prefix, settings })
  await app.register(secretRoutes, { graceMs: settings.WEBHOOK_SECRET_GRACE_MS })
  await app.register(endpointRoutes, { queue, policy })
}

// Shared schemas are added to the root (the OpenAPI document's components); the routes keep their own contexts.
export default fp(webhooksPlugin, { name: 'webhooks', dependencies: ['db', 'redis', 'auth'] })

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, json, problemResponses } from '../http/schemas.js'
import { rotateIntakeSecret } from './intake-secrets.js'
import { RotatedSecret } from './webhook.schemas.js'

/** Rotating an integration's intake secret: the new one at once, the old one still accepted for `graceMs`. */
const secretRoutes: FastifyPluginAsyncTypebox<{ graceMs: number }> = async (app, { graceMs }) => {
  app.post('/v1/users/:id/webhook-secret/rotate', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['webhooks'],
      operationId: 'rotateWebhookSecret',
      summary: "Give an integration a new intake secret; the old one stays valid for WEBHOOK_SECRET_GRACE",
      description: 'Admins only; for integration users. The new secret is shown once and accepted at once; every earlier secret keeps working until its own grace ends (`previousSecretValidUntil`), so the sender can switch without a gap.',
      params: IdParams,
      response: { 200: json(RotatedSecret, 'The new secret (shown once)'), ...problemResponses('not_found', 'conflict') },
    },
  }, async (request) => {
    const rotated = await rotateIntakeSecret(app.db, request.params.id, graceMs)
    return { webhookSecret: rotated.webhookSecret, previousSecretValidUntil: rotated.previousSecretValidUntil.toISOString() }
  })
}

export default secretRoutes

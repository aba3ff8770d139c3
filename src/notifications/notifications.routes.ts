import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { cachesOf } from '../cache/caches.js'
import { problems } from '../http/problem.js'
import { IdParams, json, problemResponses } from '../http/schemas.js'
import { KINDS, LANGUAGES, type Language, type NotificationKind } from './kinds.js'
import { listNotifications } from './list.js'
import { Notification, NotificationPage, NotificationsQuery, NotificationTemplate, TemplateBody, TemplateParams } from './notifications.schemas.js'
import { templateErrors, templateFor, type TemplateOverrides } from './templates.js'
import { readOverrides, saveOverride } from './templates.repository.js'

function presentTemplate(overrides: TemplateOverrides, kind: NotificationKind, language: Language) {
  const override = overrides.get(`${kind}/${language}`)
  const { subject, text } = templateFor(overrides, kind, language)
  return { kind, language, subject, text, custom: override !== undefined, updatedAt: override?.updatedAt.toISOString() ?? null }
}

/** The messages a complaint sent its customer, and the templates they are written from. */
const notificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const schema of [Notification, NotificationTemplate]) app.addSchema(schema)

  app.get('/v1/complaints/:id/notifications', {
    config: { roles: ['agent', 'supervisor'] },
    schema: {
      tags: ['notifications'], operationId: 'listComplaintNotifications',
      summary: "The messages sent (or being sent) to the complaint's customer, newest first, addresses masked",
      description: 'Agents and supervisors. Each message with its kind, channel (email or SMS), language, status and attempts; the address is masked. Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      params: IdParams, querystring: NotificationsQuery,
      response: { 200: json(NotificationPage, 'A page of messages'), ...problemResponses('not_found') },
    },
  }, async (request) => listNotifications(app.db, request.params.id, request.query))

  app.get('/v1/notification-templates', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['notifications'], operationId: 'listNotificationTemplates',
      summary: 'The template of every kind of message in every language: the one that ships, or an admin\'s override',
      description: 'Admins only. `custom` tells an admin\'s override from the template that ships; PUT replaces one (docs/notifications.md).',
      response: {
        200: json(Type.Object({ items: Type.Array(Type.Ref('NotificationTemplate')) }, { additionalProperties: false }), 'Every template'),
        ...problemResponses(),
      },
    },
  }, async () => {
    // Read from Postgres, not the cache: an admin sees what was just saved, whichever process saved it.
    const overrides = await readOverrides(app.db)
    return { items: KINDS.flatMap((kind) => LANGUAGES.map((language) => presentTemplate(overrides, kind, language))) }
  })

  app.put('/v1/notification-templates/:kind/:language', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['notifications'], operationId: 'putNotificationTemplate',
      summary: 'Replace the template of one kind of message in one language',
      description: 'Placeholders: {{reference}} (required in text), {{promisedBy}}, {{summary}}, {{customerName}}, {{reason}}. ' +
        'An unknown placeholder, or a text without {{reference}}, is refused with validation_failed.',
      params: TemplateParams, body: TemplateBody,
      response: { 200: json(Type.Ref('NotificationTemplate'), 'The template now in force'), ...problemResponses(413, 415) },
    },
  }, async (request) => {
    const { kind, language } = request.params as { kind: NotificationKind; language: Language }
    const { subject, text } = request.body
    const errors = [
      ...(request.body.kind !== undefined && request.body.kind !== kind ? [{ field: 'body.kind', message: `is not the kind in the path (${kind})` }] : []),
      ...(request.body.language !== undefined && request.body.language !== language
        ? [{ field: 'body.language', message: `is not the language in the path (${language})` }] : []),
      ...templateErrors({ subject, text }),
    ]
    if (errors.length > 0) throw problems.validation(errors)
    await saveOverride(app.db, { kind, language }, { subject, text }, request.user.id)
    cachesOf(app.db).templatesChanged()
    return presentTemplate(await readOverrides(app.db), kind, language)
  })
}

export default notificationRoutes

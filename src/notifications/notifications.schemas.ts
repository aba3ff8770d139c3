import { pageOf, pagingQuery } from '../http/paging.js'
import Type from 'typebox'
import { DateTime, Nullable } from '../http/schemas.js'
import { CHANNELS, KINDS, LANGUAGES } from './kinds.js'
import { PLACEHOLDERS } from './templates.js'

const oneOf = (values: readonly string[], description?: string) => Type.String({ enum: [...values], ...(description ? { description } : {}) })

export const NotificationKindSchema = oneOf(KINDS)
export const LanguageSchema = oneOf(LANGUAGES)

export const Notification = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: "the message's id: the email's Message-ID is <id@sender's domain>, the SMS's webhook-id is the id" }),
    kind: NotificationKindSchema,
    channel: oneOf(CHANNELS),
    to: Type.String({ description: 'the address, masked: l***@example.com, +86 138****8000' }),
    status: oneOf(['pending', 'sent', 'failed'], 'pending: not sent yet, or retrying; failed: given up after WEBHOOK_RETRY_FOR'),
    attempts: Type.Integer({ minimum: 0 }),
    sentAt: Nullable(DateTime),
    lastError: Nullable(Type.String({ description: "the last failed attempt's error, addresses masked" })),
    createdAt: DateTime,
  },
  { $id: 'Notification', additionalProperties: false, description: 'A message to the customer about their complaint' },
)

export const NotificationsQuery = Type.Object({ ...pagingQuery(200, 50) }, { additionalProperties: false })

export const NotificationPage = pageOf(Type.Ref('Notification'))

const placeholders = PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')

export const TemplateBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 500, description: `the email subject; placeholders: ${placeholders}` }),
    text: Type.String({ minLength: 1, maxLength: 2_000, description: `the email body and the SMS text; must contain {{reference}}; placeholders: ${placeholders}` }),
    // What GET answered may be sent back as it is (CONTRACT.md, "PUT of a resource accepts what its GET answered").
    kind: Type.Optional({ ...NotificationKindSchema, description: 'read-only: must be the kind in the path' }),
    language: Type.Optional({ ...LanguageSchema, description: 'read-only: must be the language in the path' }),
    custom: Type.Optional(Type.Boolean({ description: 'read-only: ignored' })),
    updatedAt: Type.Optional(Nullable(DateTime, 'read-only: ignored')),
  },
  {
    additionalProperties: false,
    examples: [
      { subject: '您的投诉 {{reference}} 已受理', text: '{{customerName}}，您好：您的投诉 {{reference}} 已受理，我们会在 {{promisedBy}} 前答复您。' },
      { subject: 'Your complaint {{reference}}', text: 'Dear {{customerName}}, we have logged your complaint {{reference}} and will answer by {{promisedBy}}.' },
    ],
  },
)

export const TemplateParams = Type.Object({ kind: NotificationKindSchema, language: LanguageSchema })

export const NotificationTemplate = Type.Object(
  {
    kind: NotificationKindSchema,
    language: LanguageSchema,
    subject: Type.String(),
    text: Type.String(),
    custom: Type.Boolean({ description: "true: an admin's override; false: the template that ships" }),
    updatedAt: Nullable(DateTime),
  },
  { $id: 'NotificationTemplate', additionalProperties: false },
)


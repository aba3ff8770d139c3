import Type from 'typebox'
import { CreateComplaintBody } from '../complaints/complaint.schemas.js'
import { pagingQuery } from '../http/paging.js'
import { DateTime, Nullable, Uuid } from '../http/schemas.js'
import { EVENT_TYPES } from './events.js'


export const EventType = Type.Union(EVENT_TYPES.map((type) => Type.Literal(type)), { $id: 'WebhookEventType' })
const Events = Type.Array(Type.Ref('WebhookEventType'), { minItems: 1, uniqueItems: true, maxItems: EVENT_TYPES.length })
const Url = Type.String({ format: 'uri', maxLength: 2000, description: 'http or https; private and loopback addresses only if WEBHOOK_ALLOWED_HOSTS names them' })
const Description = Type.String({ maxLength: 500 })

export const Endpoint = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    description: Nullable(Type.String()),
    events: Type.Array(Type.String()),
    integrationId: Nullable(Type.String({ format: 'uuid', description: 'only the complaints this integration created; null: all' })),
    active: Type.Boolean(),
    disabledReason: Nullable(Type.Union([Type.Literal('gone'), Type.Literal('failing'), Type.Literal('manual')], {
      description: 'gone: the endpoint answered 410; failing: a long run of failed attempts; manual: an admin stopped it',
    })),
    disabledAt: Nullable(DateTime),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'WebhookEndpoint', additionalProperties: false },
)

export const CreatedEndpoint = Type.Object(
  { ...Endpoint.properties, secret: Type.String({ description: 'Standard Webhooks signing secret (whsec_...); shown once' }) },
  { additionalProperties: false },
)

export const CreateEndpointBody = Type.Object(
  { url: Url, events: Events, integrationId: Type.Optional(Uuid), description: Type.Optional(Description) },
  {
    additionalProperties: false,
    examples: [{ url: 'https://crm.example.com/hooks/hotline', events: ['complaint.escalated', 'complaint.resolved', 'complaint.closed'], description: 'CRM: escalations and outcomes' }],
  },
)

export const UpdateEndpointBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    integrationId: Type.Optional(Nullable(Uuid)),
    description: Type.Optional(Nullable(Description)),
    active: Type.Optional(Type.Boolean({ description: 'false stops the endpoint and cancels what is pending; true starts it again' })),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ active: true }, { events: ['complaint.received', 'complaint.closed'] }] },
)

export const Attempt = Type.Object(
  {
    n: Type.Integer({ minimum: 1 }),
    startedAt: DateTime,
    finishedAt: Nullable(DateTime),
    durationMs: Nullable(Type.Integer()),
    statusCode: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
    responseBody: Nullable(Type.String({ description: 'the first KiB of the answer' })),
  },
  { additionalProperties: false, description: 'finishedAt null: the attempt was cut short (its worker stopped)' },
)

export const PingAccepted = Type.Object(
  { deliveryId: Uuid },
  { additionalProperties: false, description: 'the ping delivery: it is listed by GET /v1/webhook-endpoints/{id}/deliveries' },
)

export const DeliveryStatus = Type.Union(['pending', 'delivered', 'failed', 'cancelled'].map((s) => Type.Literal(s)))

export const Delivery = Type.Object(
  {
    id: Uuid,
    webhookId: Type.String({ description: 'the webhook-id header: the same on every attempt and replay' }),
    eventType: Type.String(),
    complaintId: Nullable(Uuid, "null for an admin's ping (eventType `ping`)"),
    seq: Type.Integer({ description: 'the complaint history event that caused it (0 for a ping)' }),
    seqIndex: Type.Integer({ description: 'its place among the events of that history event' }),
    status: DeliveryStatus,
    nextAttemptAt: Nullable(DateTime),
    createdAt: DateTime,
    finishedAt: Nullable(DateTime),
    attempts: Type.Array(Attempt),
  },
  { $id: 'WebhookDelivery', additionalProperties: false },
)

export const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(DeliveryStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

export const EndpointsQuery = Type.Object({ ...pagingQuery(200, 50) }, { additionalProperties: false })

export const DeliveryParams = Type.Object({ id: Uuid, deliveryId: Uuid })

export const IntakeParams = Type.Object({ integrationId: Uuid })
export const ReplyParams = Type.Object({ integrationId: Uuid, complaintId: Uuid })
export const ReplyBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 10_000, description: "the customer's reply, as the integration received it" }) },
  { additionalProperties: false, examples: [{ text: '照片已经发过去了，盖子裂了一条缝。' }] },
)

// The promise to the customer is made when an agent logs the complaint; the channel is the gateway's to say.
const { channel: _channel, promisedBy: _promisedBy, ...complaintFields } = CreateComplaintBody.properties

export const IntakeChannel = Type.Union([Type.Literal('webhook'), Type.Literal('email'), Type.Literal('web')], {
  default: 'webhook',
  description: 'how the customer reached the sender: webhook (default), or email or web for gateways that say so',
})

export const IntakeBody = Type.Object(
  {
    ...complaintFields,
    channel: Type.Optional(IntakeChannel),
    externalRef: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the complaint's id in the sender's system" })),
  },
  {
    additionalProperties: false,
    description: 'as POST /v1/complaints without promisedBy, with its own channel, plus externalRef',
    examples: [{ customer: { externalId: 'cust-9', email: 'li@example.com' }, category: 'delivery', summary: 'Parcel arrived damaged', externalRef: 'order-77' }],
  },
)

// Required here for the document; a request without them is refused 401 by the signature check, which runs first.
export const IntakeHeaders = Type.Object({
  'webhook-id': Type.String({ minLength: 1, maxLength: 255, description: 'the message id, and the idempotency key' }),
  'webhook-timestamp': Type.String({ description: 'Unix seconds; more than 5 minutes off is refused' }),
  'webhook-signature': Type.String({ description: 'v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">, space-separated' }),
})

export const RotatedSecret = Type.Object(
  {
    webhookSecret: Type.String({ description: 'the new Standard Webhooks secret (whsec_...); shown once' }),
    previousSecretValidUntil: DateTime,
  },
  { additionalProperties: false },
)

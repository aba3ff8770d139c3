import Type, { type TSchema } from 'typebox'
import type { COMPLAINT_STATES } from '../../workflows/complaint.machine.js'
import { SEVERITIES } from '../sla/policy.js'
import { DateTime, Nullable, Uuid } from '../http/schemas.js'
import { EVENT_TYPES } from './events.js'
import { PING } from './ping.js'

// What eventPayload (events.ts) and insertPing (ping.ts) write, field for field: test/openapi/webhooks.test.ts checks
// every body a real receiver is sent against these.
const literals = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)))

const ComplaintEventData = Type.Object(
  {
    complaintId: Uuid,
    reference: Type.String({ examples: ['C-20261122-000042'] }),
    externalRef: Nullable(Type.String(), "the complaint's id in the system of the integration that sent it; null for an agent's intake"),
    state: Type.Ref('#/components/schemas/ComplaintState'),
    severity: literals(SEVERITIES),
    category: Type.String(),
    escalationLevel: Nullable(Type.Integer({ minimum: 1 }), 'the current (or last) escalation level; null if never escalated'),
    closeReason: Nullable(Type.String(), 'satisfied, unreachable, withdrawn, duplicate or no_response once closed; else null'),
    seq: Type.Integer({ minimum: 1, description: "the complaint's history event that announced this (GET /v1/complaints/{id}/events)" }),
    seqIndex: Type.Integer({ minimum: 0, description: 'its place among the events one history event announced: order by (seq, seqIndex)' }),
    cause: Type.String({ description: 'the type of that history event, e.g. deadline.response_missed for an escalation the clock caused' }),
  },
  { additionalProperties: false, description: 'the complaint as it is after the transition that announced the event' },
)
const COMPLAINT_DATA = 'WebhookComplaintData'

interface EventDoc {
  description: string
  /** For the example only: a state the complaint can be in when the event is announced, and the history event. */
  state: (typeof COMPLAINT_STATES)[number]
  cause: string
}

const COMPLAINT_EVENTS: Record<string, EventDoc> = {
  'complaint.received': { state: 'received', cause: 'complaint.received', description: "A complaint arrived: an integration's (state `received`) or an agent's intake (logged at once, so its state is already `logged`)." },
  'complaint.logged': { state: 'logged', cause: 'complaint.logged', description: 'An agent logged the complaint: the promise to the customer is made.' },
  'complaint.escalated': { state: 'escalated', cause: 'deadline.response_missed', description: 'The complaint went up a level (`escalationLevel`): an agent escalated it, a deadline was missed, a follow-up found the customer unsatisfied, or it was reopened (`cause` says which).' },
  'escalation.assigned': { state: 'escalated', cause: 'escalation.assigned', description: 'The escalation was routed to a supervisor of its level.' },
  'escalation.acknowledged': { state: 'escalated', cause: 'escalation.acknowledged', description: 'A supervisor took the escalation.' },
  'deadline.warning': { state: 'logged', cause: 'deadline.warning', description: "The response deadline is near: policy.warnAt of its window is spent." },
  'complaint.resolved': { state: 'follow_up', cause: 'complaint.resolved', description: 'The complaint was resolved; the follow-up call falls due after policy.followUpAfter.' },
  'follow_up.due': { state: 'follow_up', cause: 'follow_up.due', description: 'The follow-up call to the customer is due.' },
  'follow_up.recorded': { state: 'closed', cause: 'follow_up.recorded', description: 'A follow-up call was recorded. When it closes or escalates the complaint, complaint.closed or complaint.escalated follows with the same seq.' },
  'complaint.assigned': { state: 'logged', cause: 'complaint.assigned', description: 'A supervisor gave the complaint to another user.' },
  'complaint.closed': { state: 'closed', cause: 'follow_up.recorded', description: 'The complaint closed; `closeReason` says why.' },
  'complaint.duplicate_absorbed': { state: 'logged', cause: 'complaint.duplicate_absorbed', description: 'Another complaint of the same customer was merged into this one (it closed as duplicate).' },
  'complaint.transferred': { state: 'logged', cause: 'complaint.transferred', description: 'The complaint was transferred to another team.' },
  'complaint.sent_back': { state: 'logged', cause: 'complaint.sent_back', description: 'The receiving team sent a transfer back.' },
  'complaint.linked_to_incident': { state: 'logged', cause: 'complaint.linked_to_incident', description: 'The complaint was linked to an incident.' },
  'complaint.unlinked_from_incident': { state: 'logged', cause: 'complaint.unlinked_from_incident', description: 'The complaint was taken out of its incident.' },
  'complaint.awaiting_customer': { state: 'logged', cause: 'complaint.awaiting_customer', description: 'The response clock stopped while the agent waits for the customer.' },
  'complaint.resumed': { state: 'logged', cause: 'complaint.resumed', description: "The wait ended (an agent, or the customer's reply through an integration): the response clock runs again." },
  'complaint.awaiting_reminder': { state: 'logged', cause: 'complaint.awaiting_reminder', description: 'The customer, waited for since policy.awaitingReminderAfter, was reminded.' },
  'promise.extension_requested': { state: 'logged', cause: 'promise.extension_requested', description: 'An agent asked a supervisor for more time before the promise breaks.' },
  'promise.extended': { state: 'logged', cause: 'promise.extended', description: 'A supervisor approved the extension: the promise moved.' },
  'promise.extension_refused': { state: 'logged', cause: 'promise.extension_refused', description: 'A supervisor refused the extension: the promise stands.' },
  'promise.extension_lapsed': { state: 'escalated', cause: 'promise.extension_lapsed', description: 'The pending extension request lapsed: the complaint left logged before anyone decided it.' },
}

const FALLBACK: Omit<EventDoc, 'description'> = { state: 'logged', cause: 'complaint.logged' }

const pascal = (type: string) => type.split(/[._]/).map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')

interface WebhookEvent {
  type: string
  /** The name of its payload's schema under components.schemas. */
  name: string
  description: string
  schema: TSchema
  example: unknown
}

const EXAMPLE_AT = '2026-11-22T10:00:00.000Z'

function complaintEvent(type: string): WebhookEvent {
  const doc = COMPLAINT_EVENTS[type]
  const { state, cause } = doc ?? FALLBACK
  return {
    type,
    name: `${pascal(type)}Webhook`,
    description: doc?.description ?? `The machine announced ${type} for the complaint.`,
    schema: Type.Object(
      { type: Type.Literal(type), timestamp: DateTime, data: Type.Ref(`#/components/schemas/${COMPLAINT_DATA}`) },
      { additionalProperties: false },
    ),
    example: {
      type,
      timestamp: EXAMPLE_AT,
      data: {
        complaintId: '6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', reference: 'C-20261122-000042', externalRef: 'order-77', state,
        severity: 'high', category: 'delivery', escalationLevel: state === 'escalated' ? 1 : null,
        closeReason: state === 'closed' ? 'satisfied' : null, seq: 4, seqIndex: type === 'complaint.closed' ? 1 : 0, cause,
      },
    },
  }
}

const PING_EVENT: WebhookEvent = {
  type: PING,
  name: 'PingWebhook',
  description: 'An admin asked to check the endpoint (POST /v1/webhook-endpoints/{id}/ping). No endpoint subscribes to it.',
  schema: Type.Object(
    { type: Type.Literal(PING), timestamp: DateTime, data: Type.Object({ endpointId: Uuid }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
  example: { type: PING, timestamp: EXAMPLE_AT, data: { endpointId: '0f8e6a52-3c1d-4b7e-9a2f-5d6c7b8e9f01' } },
}

/** Every body Hotline posts to an endpoint, one per event type the machine announces, and the ping. */
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [...EVENT_TYPES.map(complaintEvent), PING_EVENT]

const SIGNATURE_HEADERS = [
  { name: 'webhook-id', description: "the event's id: the same on every retry and replay and for every endpoint; keep the ids you handled and ignore repeats (delivery is at least once)", example: '7c1e0f5a-2b3d-4e6f-8a9b-0c1d2e3f4a5b' },
  { name: 'webhook-timestamp', description: 'this attempt, in Unix seconds; refuse one more than 5 minutes off your clock', example: '1795384194' },
  { name: 'webhook-signature', description: 'v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<exact body>"> with the endpoint\'s secret (Standard Webhooks): verify it over the raw body before parsing', example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' },
].map(({ name, description, example }) => ({ name, in: 'header', required: true, description, schema: { type: 'string' }, example }))
const parameterName = (header: string) => pascal(header.replaceAll('-', '_'))

const responseName = (status: string) => (status === 'default' ? 'WebhookFailed' : 'WebhookAcknowledged')
const RECEIVER_RESPONSES = {
  '2XX': { description: 'Acknowledged: the delivery is done. Answer quickly and do the work afterwards; an answer later than WEBHOOK_TIMEOUT_MS (10 s) is a failed attempt.' },
  // 410 is told here rather than as a response of its own: the document's 4xx answers are Hotline's problem+json.
  default: {
    description: 'Any other answer, a redirect (never followed), a connection error or no answer is a failed attempt: retried ' +
      'with backoff from 10 s to 4 h for up to a day, then the delivery fails; a long run of failures disables the endpoint ' +
      '(docs/webhooks.md). 410 Gone disables the endpoint at once (disabledReason gone): it is sent nothing more until an ' +
      'admin starts it again.',
  },
}

/**
 * The swagger `transformObject` step for what Hotline sends: an OpenAPI 3.1 `webhooks` entry per event type, each
 * posting its payload, whose schema goes under components.schemas.
 */
export function documentWebhooks<T extends { components?: object }>(document: T): T & { webhooks: Record<string, unknown> } {
  const webhooks = Object.fromEntries(WEBHOOK_EVENTS.map((event) => [event.type, {
    post: {
      operationId: `on${event.name}`,
      tags: ['webhooks'],
      summary: `${event.type}: sent to the endpoints that subscribe to it`,
      description: `${event.description} Signed per Standard Webhooks with the endpoint's secret; events of one complaint arrive in history order (docs/webhooks.md).`,
      security: [],
      parameters: SIGNATURE_HEADERS.map(({ name }) => ({ $ref: `#/components/parameters/${parameterName(name)}` })),
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${event.name}` }, example: event.example } },
      },
      responses: Object.fromEntries(Object.keys(RECEIVER_RESPONSES).map((status) => [status, { $ref: `#/components/responses/${responseName(status)}` }])),
    },
  }]))
  const components = document.components as { schemas?: object; parameters?: object; responses?: object } | undefined
  const schemas = {
    [COMPLAINT_DATA]: ComplaintEventData,
    ...Object.fromEntries(WEBHOOK_EVENTS.map((event) => [event.name, { ...event.schema, description: event.description }])),
  }
  const parameters = Object.fromEntries(SIGNATURE_HEADERS.map((header) => [parameterName(header.name), header]))
  const responses = Object.fromEntries(Object.entries(RECEIVER_RESPONSES).map(([status, answer]) => [responseName(status), answer]))
  // Plain copies: TypeBox's schemas are not only JSON, and the YAML writer would alias objects met twice.
  const copy = <V>(value: V): V => JSON.parse(JSON.stringify(value)) as V
  return {
    ...document,
    components: {
      ...components,
      schemas: { ...components?.schemas, ...copy(schemas) },
      parameters: { ...components?.parameters, ...copy(parameters) },
      responses: { ...components?.responses, ...copy(responses) },
    },
    webhooks,
  }
}

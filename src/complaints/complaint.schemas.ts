import Type, { type TLiteral, type TSchemaOptions, type TUnion } from 'typebox'
import { ACTION_NAMES, COMPLAINT_STATES, FOLLOW_UP_OUTCOMES, RESOLUTION_MODES, TIMER_KINDS } from '../../workflows/complaint.machine.js'
import { AGENT_CHANNELS, CHANNELS } from '../db/tables.js'
import { pagingQuery } from '../http/paging.js'
import { DateTime, Nullable, Uuid } from '../http/schemas.js'
import { SEVERITIES } from '../sla/policy.js'
import { LANGUAGES } from '../notifications/kinds.js'
import { LIST_SORTS, type ListSort } from './list-order.js'

// Typed as one literal of the union of values (TypeBox's Static reads a union's members from a tuple only).
const literals = <const T extends readonly string[]>(values: T, options: TSchemaOptions = {}) =>
  Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as TUnion<[TLiteral<T[number]>]>
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max })

export const State = literals(COMPLAINT_STATES, { $id: 'ComplaintState' })
export const Severity = literals(SEVERITIES)
export const Channel = literals(CHANNELS)
export const AgentChannel = literals(AGENT_CHANNELS)
export const ActionName = literals(ACTION_NAMES)
export const Outcome = literals(FOLLOW_UP_OUTCOMES)
const Money = Type.Number({ minimum: 0, maximum: 999_999_999_999.99, multipleOf: 0.01 })
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' })

export const CustomerInput = Type.Object(
  {
    name: Type.Optional(Text(200)),
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
    externalId: Type.Optional(Text(200)),
    tier: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: "an integration's intake sets the customer's tier; an agent's intake ignores it (docs/customers.md)" })),
    language: Type.Optional(Type.String({ enum: [...LANGUAGES], description: "the language of the customer's messages; replaces an existing customer's" })),
    notify: Type.Optional(Type.Boolean({ description: "false: the customer gets no message at all; replaces an existing customer's" })),
  },
  { additionalProperties: false, description: 'at least one of phone, email, externalId' },
)

export const CreateComplaintBody = Type.Object(
  {
    customer: CustomerInput,
    category: Text(100),
    severity: Type.Optional(Severity),
    summary: Text(500),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    product: Type.Optional(Text(200)),
    region: Type.Optional(Text(100)),
    team: Type.Optional(Text(100)),
    channel: Type.Optional(AgentChannel),
    promisedBy: Type.Optional(DateTime),
  },
  {
    additionalProperties: false,
    examples: [
      {
        customer: { name: 'Li Wei', phone: '+86 138 0013 8000' },
        category: 'delivery',
        summary: 'Kettle arrived with a cracked lid',
        product: 'kettle',
        region: 'east',
      },
      {
        customer: { name: '王芳', phone: '+86 139 1234 5678', language: 'zh-CN' },
        category: 'delivery',
        severity: 'high',
        summary: '快递员态度差，包裹被扔在门口',
        description: '客户说快递员没有敲门，包裹直接扔在门口，里面的杯子碎了一个。',
        channel: 'phone',
        promisedBy: '2026-11-23T18:00:00+08:00',
      },
    ],
  },
)

export const LogBody = Type.Object(
  { category: Type.Optional(Text(100)), severity: Type.Optional(Severity), promisedBy: Type.Optional(DateTime) },
  { additionalProperties: false, examples: [{ category: 'delivery', severity: 'normal', promisedBy: '2026-11-24T18:00:00+08:00' }] },
)
export const CompensationInput = Type.Object(
  { kind: Text(50), amount: Type.Optional(Money), currency: Type.Optional(Currency) },
  { additionalProperties: false },
)
export const ResolveBody = Type.Object(
  { summary: Text(2000), compensation: Type.Optional(CompensationInput) },
  {
    additionalProperties: false,
    examples: [
      { summary: 'Replacement lid sent', compensation: { kind: 'voucher', amount: 20, currency: 'CNY' } },
      { summary: '已补发新杯子，并向客户致歉' },
    ],
  },
)
export const EscalateBody = Type.Object(
  { reason: Text(500), note: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false, examples: [{ reason: 'Customer asks for a refund of 80 CNY, above my limit', note: 'Second complaint this month about the same kettle' }] },
)
export const EmptyBody = Type.Object({}, { additionalProperties: false, description: 'no fields; the body may be omitted', examples: [{}] })
export const FollowUpBody = Type.Object(
  {
    outcome: Outcome,
    satisfaction: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false, examples: [{ outcome: 'satisfied', satisfaction: 5 }, { outcome: 'unsatisfied', satisfaction: 2, comment: '客户认为补偿太少' }] },
)
export const WithdrawBody = Type.Object({ reason: Text(500) }, { additionalProperties: false, examples: [{ reason: 'The parcel turned up at a neighbour\'s; the customer no longer complains' }] })
export const AssignBody = Type.Object({ assigneeId: Uuid }, { additionalProperties: false, examples: [{ assigneeId: '0f8e6a52-3c1d-4b7e-9a2f-5d6c7b8e9f01' }] })
export const WaitBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false, examples: [{ note: 'Asked the customer for a photo of the damaged lid' }] },
)
export const MergeBody = Type.Object(
  { into: Uuid, note: Type.Optional(Type.String({ maxLength: 5000 })) },
  {
    additionalProperties: false,
    description: 'the open complaint this one duplicates',
    examples: [{ into: '6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', note: 'Same customer called twice about the same parcel' }],
  },
)
export const TransferBody = Type.Object(
  { team: Text(100), reason: Text(500) },
  { additionalProperties: false, description: 'the receiving team, and why', examples: [{ team: 'billing', reason: 'The customer was charged twice: a billing matter' }] },
)
export const SendBackBody = Type.Object({ reason: Text(500) }, { additionalProperties: false, examples: [{ reason: 'Not a billing matter: the charge was correct, the parcel was late' }] })
export const ReopenBody = Type.Object({ reason: Text(500) }, { additionalProperties: false, examples: [{ reason: '客户反映补发的杯子也是坏的' }] })
export const Transfer = Type.Object(
  {
    fromTeam: Nullable(Type.String()),
    fromAssigneeId: Nullable(Uuid),
    toTeam: Type.String(),
    reason: Type.String(),
    transferredBy: Nullable(Uuid),
    transferredAt: DateTime,
    sendBackUntil: Type.String({ format: 'date-time', description: 'the receiving team may send it back until then (policy sendBackWithin at the transfer)' }),
    sentBackBy: Nullable(Uuid),
    sentBackAt: Nullable(DateTime),
    sendBackReason: Nullable(Type.String()),
  },
  { additionalProperties: false },
)
export const NoteBody = Type.Object({ text: Text(10_000) }, { additionalProperties: false, examples: [{ text: 'Called the courier: the driver will be spoken to' }] })
export const RequestExtensionBody = Type.Object(
  {
    until: Type.String({ format: 'date-time', description: 'the new promised time: later than promisedBy, at most policy.maxExtension after it' }),
    reason: Text(500),
  },
  { additionalProperties: false, examples: [{ until: '2026-11-26T18:00:00+08:00', reason: 'Waiting for the supplier to send a replacement part' }] },
)
export const DecideExtensionBody = Type.Object(
  { approve: Type.Boolean(), note: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false, examples: [{ approve: true, note: 'Approved: the part ships on Wednesday' }] },
)
export const ExtensionStatus = literals(['pending', 'approved', 'refused', 'lapsed'])
export const Extension = Type.Object(
  {
    status: ExtensionStatus,
    until: DateTime,
    reason: Type.String(),
    requestedBy: Nullable(Uuid),
    requestedAt: DateTime,
    decidedBy: Nullable(Uuid),
    decidedAt: Nullable(DateTime),
    note: Nullable(Type.String()),
  },
  { additionalProperties: false },
)

export const ActionHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'the complaint version you saw, as its ETag: "<version>"' })),
})
export const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'your id for this intake (e.g. call-2026-11-22-0001), per user, kept IDEMPOTENCY_KEY_RETENTION (30 days): a retry with the same key and body answers 200 with the complaint ' +
      'the first one created (Idempotent-Replayed: true) and creates nothing; the same key with another body is 422 idempotency_mismatch',
  })),
})

export const Customer = Type.Object(
  {
    id: Uuid,
    name: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    email: Nullable(Type.String()),
    externalId: Nullable(Type.String()),
    tier: Nullable(Type.String()),
    language: Type.Optional(Nullable(Type.String({ enum: [...LANGUAGES], description: "null: the service's DEFAULT_LANGUAGE" }))),
    notify: Type.Optional(Type.Boolean({ description: 'false: the customer gets no message at all' })),
  },
  { additionalProperties: false },
)

// The complaint's jsonb records, as answered and as stored (src/db/tables.ts types the columns with them).
export const Escalation = Type.Object({
  level: Type.Integer({ minimum: 1 }),
  reason: Type.String(),
  assigneeId: Nullable(Uuid),
  acknowledgedAt: Nullable(DateTime),
  ackDueAt: Nullable(DateTime),
})
export const Compensation = Type.Object({ kind: Type.String(), amount: Nullable(Type.Number()), currency: Nullable(Type.String()) })
export const Resolution = Type.Object({
  mode: literals(RESOLUTION_MODES),
  summary: Type.String(),
  compensation: Nullable(Compensation),
  resolvedBy: Nullable(Uuid),
  resolvedAt: DateTime,
})
export const FollowUp = Type.Object({
  dueAt: Nullable(DateTime),
  attempts: Type.Integer({ minimum: 0 }),
  outcome: Nullable(Outcome),
  satisfaction: Nullable(Type.Integer()),
  comment: Nullable(Type.String()),
})

export const Complaint = Type.Object(
  {
    id: Uuid,
    reference: Type.String({ examples: ['C-20261122-000042'] }),
    state: Type.Ref('ComplaintState'),
    channel: Channel,
    customer: Customer,
    category: Type.String(),
    severity: Severity,
    summary: Type.String(),
    description: Nullable(Type.String()),
    product: Nullable(Type.String()),
    region: Nullable(Type.String()),
    team: Nullable(Type.String()),
    assigneeId: Nullable(Uuid),
    promisedBy: Nullable(DateTime),
    originalPromisedBy: Nullable(DateTime, 'the first promise made; equal to promisedBy until an extension is approved'),
    extension: Nullable(Extension, 'the latest request to extend the promise'),
    escalation: Nullable(Escalation),
    resolution: Nullable(Resolution),
    followUp: Nullable(FollowUp),
    closeReason: Nullable(Type.String()),
    clockPausedAt: Nullable(DateTime),
    possibleDuplicateOf: Nullable(Uuid),
    repeatOf: Nullable(Uuid, 'a complaint of the same customer and category that closed within policy.reopenWithin before this one was received'),
    transfer: Nullable(Transfer, 'the latest transfer to another team'),
    incidentId: Nullable(Uuid, 'the incident (many customers, one cause: /v1/incidents) the complaint is linked to'),
    externalRef: Nullable(Type.String()),
    deadlines: Type.Array(Type.Object({ kind: literals(TIMER_KINDS), dueAt: DateTime })),
    actions: Type.Array(ActionName, { description: 'what the caller may do next' }),
    version: Type.Integer({ minimum: 1 }),
    createdAt: DateTime,
    updatedAt: DateTime,
    closedAt: Nullable(DateTime),
  },
  { $id: 'Complaint', additionalProperties: false },
)

export const ListQuery = Type.Object(
  {
    state: Type.Optional(State),
    category: Type.Optional(Text(100)),
    severity: Type.Optional(Severity),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Literal('me')])),
    customerPhone: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
    team: Type.Optional(Text(100)),
    overdue: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Search: the complaints whose summary, description, notes, customer name or reference hold every term of q ' +
        '(terms are separated by spaces). A Chinese (CJK) term matches anywhere in the text, one character or more; any other ' +
        'term matches at the start of a word (`rout` finds router, not outer), and a term with punctuation inside it ' +
        '(`tp-link`, `C-20261128`) matches those words in that order; the reference matches any fragment of it (`0427`). ' +
        'Case, full-width forms and punctuation do not matter (NFKC); punctuation alone finds nothing. With q the list is ' +
        'most relevant first: the complaints with every term in the summary, customer name or reference, then the others; ' +
        'newest first within each. Its nextCursor pages through that order.',
    })),
    sort: Type.Optional(Type.Unsafe<ListSort>(Type.String({
      enum: [...LIST_SORTS],
      description: 'The order: createdAt, updatedAt or promisedBy, ascending, or descending with a leading - (-updatedAt); ' +
        'the id breaks ties. promisedBy is null until a promise is made: those complaints come last either way. ' +
        'Without sort: -createdAt (newest first), or with q most relevant first; with q and sort, the matches in that order.',
    }))),
    createdFrom: Type.Optional(Type.String({ format: 'date-time', description: 'created at or after this instant' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time', description: 'created before this instant (later than createdFrom)' })),
    updatedSince: Type.Optional(Type.String({
      format: 'date-time',
      description: 'changed (created, or any transition, timers included) at or after this instant: with sort=updatedAt, an incremental feed',
    })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's nextCursor, with the same filters and sort" })),
  },
  { additionalProperties: false },
)

export const ReadHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({
    maxLength: 2_000,
    description: 'ETags you hold (RFC 9110 13.1.2), or *: 304 without a body when the current one is among them',
  })),
})

export const EventsQuery = Type.Object({ ...pagingQuery(1_000, 200) }, { additionalProperties: false })

export const ComplaintEvent = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    type: Type.String(),
    actor: Type.Object({ id: Nullable(Uuid), role: Type.String() }),
    at: DateTime,
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
)

const IF_MATCH = 'Send `If-Match` with the ETag you read to refuse the action (412 version_conflict) if the complaint changed since.'
/** What each action route does, by operationId: the document's operation descriptions (complaint.routes.ts). */
export const ACTION_DESCRIPTIONS: Record<string, string> = {
  mergeComplaint: 'Agents and supervisors. This complaint (received, logged or escalated) closes as `duplicate` into `into`, ' +
    'an open complaint of the same customer (409 merge_customer_mismatch otherwise), which records `complaint.duplicate_absorbed`; ' +
    'each keeps its own history. `If-Match` guards this complaint\'s version.',
  logComplaint: 'A complaint received through a webhook is checked by an agent: category and severity may be corrected and ' +
    'the promised response time (`promisedBy`, or the SLA policy\'s) is made; the triage deadline is cancelled. ' + IF_MATCH,
  resolveComplaint: 'From logged, an agent resolves on the spot within their `compensationLimit` (above it: 403 ' +
    'authority_exceeded: escalate instead); from escalated, a supervisor of the escalation\'s level or above, within ' +
    'theirs. The follow-up call falls due ' +
    'after policy.followUpAfter. ' + IF_MATCH,
  escalateComplaint: 'Up one level (at most policy.maxLevel); the worker routes it to a supervisor of that level, who must ' +
    'acknowledge it within policy.escalationAck or it is escalated again. ' + IF_MATCH,
  acknowledgeEscalation: 'A supervisor of the escalation\'s level or above takes it, once: its acknowledgement deadline ' +
    'is cancelled. ' + IF_MATCH,
  recordFollowUp: 'The call to the customer after resolution: `satisfied` closes the complaint, `unsatisfied` escalates ' +
    'it again one level up, `unreachable` calls again after policy.followUpRetry and closes it as `unreachable` after ' +
    'policy.followUpAttempts calls. With policy.followUpBy ' +
    '`not_resolver`, the agent who resolved it may not record it (403 forbidden). ' + IF_MATCH,
  withdrawComplaint: 'The customer no longer complains: the complaint closes as `withdrawn` and its deadlines are cancelled. ' + IF_MATCH,
  assignComplaint: 'A supervisor gives an open complaint to another user (`assigneeId`). ' + IF_MATCH,
  addNote: 'Appends a `complaint.note_added` event to the history; the state and deadlines do not change. ' + IF_MATCH,
  awaitCustomer: 'While the agent waits for something from the customer, the response clock stops: the customer is ' +
    'reminded after policy.awaitingReminderAfter and the complaint closes as `no_response` after ' +
    'policy.awaitingCloseAfter. ' + IF_MATCH,
  resumeClock: 'The wait ends (an integration relays the customer\'s reply the same way): the response deadlines move ' +
    'later by the time spent waiting. ' + IF_MATCH,
  requestExtension: 'An agent asks to move the promise to `until` (later than promisedBy, at most policy.maxExtension ' +
    'after it); supervisors see it in GET /v1/extension-requests and decide with decide-extension. ' + IF_MATCH,
  transferComplaint: 'The complaint moves to `team`; the receiving team may send it back within policy.sendBackWithin. ' + IF_MATCH,
  sendBackComplaint: 'Undoes a transfer once: the complaint goes back to the team and assignee it came from. ' + IF_MATCH,
  reopenComplaint: 'The customer comes back about a closed complaint: it starts again, escalated one level up with the ' +
    'reason `reopened`. ' + IF_MATCH,
  decideExtension: 'A supervisor other than the requester decides the pending extension request: approved, the promise moves to its `until` and the ' +
    'customer is told; refused, the promise stands. ' + IF_MATCH,
}

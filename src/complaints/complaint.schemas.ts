import Type, { type TLiteral, type TSchemaOptions, type TUnion } from 'typebox'
import { ACTION_NAMES, COMPLAINT_STATES, FOLLOW_UP_OUTCOMES, RESOLUTION_MODES, TIMER_KINDS } from '../../workflows/complaint.machine.js'
import { AGENT_CHANNELS, CHANNELS } from '../db/tables.js'
import { pagingQuery } from '../http/paging.js'
import { DateTime, Nullable, Uuid } from '../http/schemas.js'
import { SEVERITIES } from '../sla/policy.js'
import { LANGUAGES } from '../notifications/kinds.js'

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
  { additionalProperties: false },
)

export const LogBody = Type.Object(
  { category: Type.Optional(Text(100)), severity: Type.Optional(Severity), promisedBy: Type.Optional(DateTime) },
  { additionalProperties: false },
)
export const CompensationInput = Type.Object(
  { kind: Text(50), amount: Type.Optional(Money), currency: Type.Optional(Currency) },
  { additionalProperties: false },
)
export const ResolveBody = Type.Object(
  { summary: Text(2000), compensation: Type.Optional(CompensationInput) },
  { additionalProperties: false },
)
export const EscalateBody = Type.Object(
  { reason: Text(500), note: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false },
)
export const EmptyBody = Type.Object({}, { additionalProperties: false, description: 'no fields; the body may be omitted' })
export const FollowUpBody = Type.Object(
  {
    outcome: Outcome,
    satisfaction: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    comment: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
)
export const WithdrawBody = Type.Object({ reason: Text(500) }, { additionalProperties: false })
export const AssignBody = Type.Object({ assigneeId: Uuid }, { additionalProperties: false })
export const WaitBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false })
export const MergeBody = Type.Object(
  { into: Uuid, note: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false, description: 'the open complaint this one duplicates' },
)
export const TransferBody = Type.Object(
  { team: Text(100), reason: Text(500) },
  { additionalProperties: false, description: 'the receiving team, and why' },
)
export const SendBackBody = Type.Object({ reason: Text(500) }, { additionalProperties: false })
export const ReopenBody = Type.Object({ reason: Text(500) }, { additionalProperties: false })
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
export const NoteBody = Type.Object({ text: Text(10_000) }, { additionalProperties: false })
export const RequestExtensionBody = Type.Object(
  {
    until: Type.String({ format: 'date-time', description: 'the new promised time: later than promisedBy, at most policy.maxExtension after it' }),
    reason: Text(500),
  },
  { additionalProperties: false },
)
export const DecideExtensionBody = Type.Object(
  { approve: Type.Boolean(), note: Type.Optional(Type.String({ maxLength: 5000 })) },
  { additionalProperties: false },
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
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
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
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

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

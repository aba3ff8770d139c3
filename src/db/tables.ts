import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { Static } from 'typebox'
import type { ComplaintState, PersistedMachine, Role } from '../../workflows/complaint.contract.js'
import type { Compensation as CompensationSchema, Escalation, Extension, FollowUp, Resolution, Transfer } from '../complaints/complaint.schemas.js'
import type { StoredSlaPolicy } from '../sla/policy.js'
import type { Severity } from '../sla/policy.js'
import type { JobKind } from '../timers/jobs.js'
import type { Jsonb } from './jsonb.js'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
// numeric comes back from pg as a string to keep its precision.
type Numeric = ColumnType<string | null, number | string | null | undefined, number | string | null>
/** A jsonb column: read as what it holds, written with `jsonb(value)` (./jsonb.ts). */
type JsonbColumn<T> = ColumnType<T, Jsonb<T>, Jsonb<T>>
/** One an INSERT may leave to its default. */
type DefaultedJsonbColumn<T> = ColumnType<T, Jsonb<T> | undefined, Jsonb<T>>

export const USER_ROLES = ['agent', 'supervisor', 'admin', 'integration'] as const
export type UserRole = (typeof USER_ROLES)[number]

export const CHANNELS = ['phone', 'walk_in', 'webhook', 'email', 'web'] as const
export type Channel = (typeof CHANNELS)[number]
/** The channels an agent's intake may name: `webhook` is the signed intake's. */
export const AGENT_CHANNELS = CHANNELS.filter((c): c is Exclude<Channel, 'webhook'> => c !== 'webhook')

export interface UsersTable {
  id: Generated<string>
  name: string
  role: UserRole
  level: number | null
  compensationLimit: Numeric
  teams: ColumnType<string[], string[] | undefined, string[]>
  tokenHash: string
  webhookSecret: string | null
  active: Generated<boolean>
  createdAt: CreatedAt
  updatedAt: Timestamp
}

export interface CustomersTable {
  id: Generated<string>
  name: string | null
  phone: string | null
  email: string | null
  externalId: string | null
  tier: string | null
  /** `zh-CN` or `en`; null: the service's DEFAULT_LANGUAGE. */
  language: ColumnType<string | null, string | null | undefined, string | null>
  /** False: the customer gets no message at all. */
  notify: Generated<boolean>
  createdAt: CreatedAt
  updatedAt: Timestamp
}

// The complaint's jsonb records are the API's schemas (src/complaints/complaint.schemas.ts): one shape, stored as answered.
export type EscalationRecord = Static<typeof Escalation>
export type Compensation = Static<typeof CompensationSchema>
export type ResolutionRecord = Static<typeof Resolution>
export type FollowUpRecord = Static<typeof FollowUp>
/** A request to move the promise to the customer (docs/promises.md). */
export type ExtensionRecord = Static<typeof Extension>
/** The complaint's latest transfer to another team (docs/routing.md). */
export type TransferRecord = Static<typeof Transfer>

export interface ClockPause {
  pausedAt: string
  deadlines: { kind: JobKind; dueAt: string }[]
}

export interface ComplaintsTable {
  id: Generated<string>
  reference: string
  state: ComplaintState
  channel: Channel
  customerId: string
  category: string
  severity: Severity
  summary: string
  description: string | null
  product: string | null
  region: string | null
  team: string | null
  assigneeId: string | null
  promisedBy: NullableTimestamp
  /** The promise as first made (and moved by waiting for the customer), before any extension; null: promisedBy. */
  originalPromisedBy: NullableTimestamp
  extension: DefaultedJsonbColumn<ExtensionRecord | null>
  escalation: JsonbColumn<EscalationRecord | null>
  resolution: JsonbColumn<ResolutionRecord | null>
  followUp: JsonbColumn<FollowUpRecord | null>
  closeReason: string | null
  customerTier: string | null
  clockPaused: DefaultedJsonbColumn<ClockPause | null>
  possibleDuplicateOf: string | null
  transfer: DefaultedJsonbColumn<TransferRecord | null>
  /** A closed complaint of the same customer and category this one followed within policy.reopenWithin. */
  repeatOf: ColumnType<string | null, string | null | undefined, string | null>
  /** The incident (many customers, one cause) the complaint is linked to; null: none. */
  incidentId: ColumnType<string | null, string | null | undefined, string | null>
  createdBy: string | null
  integrationId: string | null
  externalRef: string | null
  machineVersion: string
  machineSnapshot: JsonbColumn<PersistedMachine>
  version: ColumnType<number, number | undefined, number>
  createdAt: CreatedAt
  updatedAt: Timestamp
  closedAt: NullableTimestamp
}

export interface ComplaintEventsTable {
  complaintId: string
  seq: number
  type: string
  actorId: string | null
  actorRole: Role
  at: CreatedAt
  data: JsonbColumn<Record<string, unknown>>
}

export interface TimersTable {
  id: string
  complaintId: string
  kind: JobKind
  dueAt: ColumnType<Date, Date | string, Date | string>
  armedState: ComplaintState
  armedSeq: number
  /** Whether its BullMQ job has been handed to the queue (false: due beyond the horizon, waiting in Postgres). */
  queued: Generated<boolean>
  /** The BullMQ job it shares with timers due together (src/timers/job-groups.ts); null: its own job, named by its id. */
  jobId: ColumnType<string | null, string | null | undefined, string | null>
  createdAt: CreatedAt
  firedAt: NullableTimestamp
  cancelledAt: NullableTimestamp
}

export interface IdempotencyKeysTable {
  userId: string
  key: string
  requestHash: string
  complaintId: string
  createdAt: CreatedAt
}

export interface SlaPoliciesTable {
  id: Generated<number>
  /** As saved: fields added to the policy later may be absent (src/sla/policy.validation.ts reads it). */
  policy: JsonbColumn<StoredSlaPolicy>
  createdBy: string | null
  createdAt: CreatedAt
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled'
export type EndpointDisabledReason = 'gone' | 'failing' | 'manual'

export interface WebhookPreviousSecretsTable {
  userId: string
  secret: string
  validUntil: ColumnType<Date, Date | string, Date | string>
  createdAt: CreatedAt
}

export interface WebhookEndpointsTable {
  id: Generated<string>
  url: string
  description: string | null
  events: ColumnType<string[], string[], string[]>
  integrationId: string | null
  secret: string
  active: Generated<boolean>
  disabledReason: EndpointDisabledReason | null
  disabledAt: NullableTimestamp
  consecutiveFailures: Generated<number>
  failingSince: NullableTimestamp
  createdBy: string | null
  createdAt: CreatedAt
  updatedAt: Timestamp
  deletedAt: NullableTimestamp
}

export interface WebhookEventsTable {
  id: string
  /** Null for an admin's ping. */
  complaintId: string | null
  seq: number
  seqIndex: number
  type: string
  payload: string
  createdAt: CreatedAt
  /** The W3C trace context of the transition that wrote it, when tracing was on (migration 0033). */
  traceparent?: string | null
  tracestate?: string | null
}

export interface WebhookDeliveriesTable {
  id: Generated<string>
  eventId: string
  endpointId: string
  /** Null for an admin's ping. */
  complaintId: string | null
  seq: number
  seqIndex: number
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>
  attempts: Generated<number>
  nextAttemptAt: Timestamp
  leaseUntil: NullableTimestamp
  retrySince: Timestamp
  createdAt: CreatedAt
  updatedAt: Timestamp
  finishedAt: NullableTimestamp
}

export interface WebhookAttemptsTable {
  deliveryId: string
  n: number
  startedAt: CreatedAt
  finishedAt: NullableTimestamp
  durationMs: number | null
  statusCode: number | null
  error: string | null
  responseBody: string | null
}

export type NotificationStatus = 'pending' | 'sent' | 'failed'

export interface NotificationsTable {
  id: string
  complaintId: string
  seq: number
  kind: string
  channel: 'email' | 'sms'
  recipient: string
  language: string
  subject: string | null
  body: string
  status: ColumnType<NotificationStatus, NotificationStatus | undefined, NotificationStatus>
  attempts: Generated<number>
  nextAttemptAt: Timestamp
  leaseUntil: NullableTimestamp
  /** When the loader last handed it to the delivery queue (src/notifications/loader.ts). */
  queuedAt: NullableTimestamp
  retrySince: Timestamp
  sentAt: NullableTimestamp
  lastError: string | null
  createdAt: CreatedAt
  updatedAt: Timestamp
}

export interface NotificationTemplatesTable {
  kind: string
  language: string
  subject: string
  text: string
  updatedBy: string | null
  updatedAt: Timestamp
}

/** The supervisor's request to resolve an incident (POST /v1/incidents/{id}/resolve), the last one made. */
export interface IncidentResolution {
  summary: string
  compensation: Compensation | null
  resolvedBy: string | null
  requestedAt: string
}

/** The tokens of a text an incident is compared by: its own title and description (complaintId null), or a complaint's. */
export interface TextSample {
  complaintId: string | null
  tokens: string[]
}

/** Many complaints, one cause (src/incidents, migration 0023); the counts are kept by a trigger on complaints. */
export interface IncidentsTable {
  id: Generated<string>
  reference: string
  title: string
  category: string | null
  product: string | null
  region: string | null
  description: string | null
  state: ColumnType<'open' | 'resolved', 'open' | 'resolved' | undefined, 'open' | 'resolved'>
  complaintCount: Generated<number>
  openCount: Generated<number>
  resolution: DefaultedJsonbColumn<IncidentResolution | null>
  /** The tokens the intake's suggestions compare with (src/incidents/suggestions.ts), newest first. */
  samples: DefaultedJsonbColumn<TextSample[]>
  version: Generated<number>
  createdBy: string | null
  createdAt: Timestamp
  activeAt: Timestamp
  updatedAt: Timestamp
  resolvedAt: NullableTimestamp
}

export interface Database {
  users: UsersTable
  customers: CustomersTable
  complaints: ComplaintsTable
  complaintEvents: ComplaintEventsTable
  timers: TimersTable
  idempotencyKeys: IdempotencyKeysTable
  slaPolicies: SlaPoliciesTable
  webhookPreviousSecrets: WebhookPreviousSecretsTable
  webhookEndpoints: WebhookEndpointsTable
  webhookEvents: WebhookEventsTable
  webhookDeliveries: WebhookDeliveriesTable
  webhookAttempts: WebhookAttemptsTable
  notifications: NotificationsTable
  notificationTemplates: NotificationTemplatesTable
  incidents: IncidentsTable
}

export type UserRow = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type CustomerRow = Selectable<CustomersTable>
export type ComplaintRow = Selectable<ComplaintsTable>
export type ComplaintUpdate = Updateable<ComplaintsTable>
export type IncidentRow = Selectable<IncidentsTable>
export type ComplaintEventRow = Selectable<ComplaintEventsTable>
export type TimerRow = Selectable<TimersTable>
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>
export type NotificationRow = Selectable<NotificationsTable>

import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
// numeric comes back from pg as a string to keep its precision.
type Numeric = ColumnType<string | null, number | string | null | undefined, number | string | null>
type Json<T> = ColumnType<T, string, string>

export const USER_ROLES = ['agent', 'supervisor', 'admin', 'integration'] as const
export type UserRole = (typeof USER_ROLES)[number]

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

export interface EscalationRecord {
  level: number
  reason: string
  assigneeId: string | null
  acknowledgedAt: string | null
  ackDueAt: string | null
}
export interface Compensation {
  kind: string
  amount: number | null
  currency: string | null
}
export interface ResolutionRecord {
  mode: 'on_the_spot' | 'after_escalation'
  summary: string
  compensation: Compensation | null
  resolvedBy: string | null
  resolvedAt: string
}
export interface FollowUpRecord {
  dueAt: string | null
  attempts: number
  outcome: 'satisfied' | 'unsatisfied' | 'unreachable' | null
  satisfaction: number | null
  comment: string | null
}

/** A request to move the promise to the customer (CONTRACT.md, "Promise extensions"). */
export interface ExtensionRecord {
  status: 'pending' | 'approved' | 'refused' | 'lapsed'
  until: string
  reason: string
  requestedBy: string | null
  requestedAt: string
  decidedBy: string | null
  decidedAt: string | null
  note: string | null
}

/** The complaint's latest transfer to another team (CONTRACT.md, "Transfers between teams"). */
export interface TransferRecord {
  fromTeam: string | null
  fromAssigneeId: string | null
  toTeam: string
  reason: string
  transferredBy: string | null
  transferredAt: string
  /** transferredAt + policy.sendBackWithin as it stood then: the receiving team may send it back until this time. */
  sendBackUntil: string
  sentBackBy: string | null
  sentBackAt: string | null
  sendBackReason: string | null
}

export interface ClockPause {
  pausedAt: string
  deadlines: { kind: string; dueAt: string }[]
}

export interface ComplaintsTable {
  id: Generated<string>
  reference: string
  state: string
  channel: string
  customerId: string
  category: string
  severity: string
  summary: string
  description: string | null
  product: string | null
  region: string | null
  team: string | null
  assigneeId: string | null
  promisedBy: NullableTimestamp
  /** The promise as first made (and moved by waiting for the customer), before any extension; null: promisedBy. */
  originalPromisedBy: NullableTimestamp
  extension: ColumnType<ExtensionRecord | null, string | undefined, string>
  escalation: Json<EscalationRecord | null>
  resolution: Json<ResolutionRecord | null>
  followUp: Json<FollowUpRecord | null>
  closeReason: string | null
  customerTier: string | null
  clockPaused: ColumnType<ClockPause | null, string | undefined, string>
  possibleDuplicateOf: string | null
  transfer: ColumnType<TransferRecord | null, string | undefined, string>
  /** A closed complaint of the same customer and category this one followed within policy.reopenWithin. */
  repeatOf: ColumnType<string | null, string | null | undefined, string | null>
  /** The incident (many customers, one cause) the complaint is linked to; null: none. */
  incidentId: ColumnType<string | null, string | null | undefined, string | null>
  createdBy: string | null
  integrationId: string | null
  externalRef: string | null
  machineVersion: string
  machineSnapshot: Json<unknown>
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
  actorRole: string
  at: CreatedAt
  data: Json<Record<string, unknown>>
}

export interface TimersTable {
  id: string
  complaintId: string
  kind: string
  dueAt: ColumnType<Date, Date | string, Date | string>
  armedState: string
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
  policy: Json<unknown>
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
  resolution: ColumnType<IncidentResolution | null, string | undefined, string>
  /** The tokens the intake's suggestions compare with (src/incidents/suggestions.ts), newest first. */
  samples: ColumnType<TextSample[], string | undefined, string>
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

// Data of the module contract (why it is so: docs/machine.md; the transitions as they run, generated from the machine:
// docs/machine-generated.md); complaint.machine.ts re-exports the public part. Each vocabulary is one list here; its
// type, the table columns (src/db/tables.ts) and the API schemas (src/complaints/complaint.schemas.ts) derive from it.

export const MACHINE_VERSION = 'complaint@1'

export type ComplaintState = 'received' | 'logged' | 'escalated' | 'follow_up' | 'closed'
export const ROLES = ['agent', 'supervisor', 'admin', 'integration', 'system'] as const
export type Role = (typeof ROLES)[number]
export interface Actor { id: string | null; role: Role; level: number | null; compensationLimit: number | null }
export const TIMER_KINDS = [
  'triage', 'response', 'response_warning', 'escalation_ack', 'escalation_response', 'follow_up', 'follow_up_retry',
  'awaiting_reminder', 'awaiting_close',
] as const
export type TimerKind = (typeof TIMER_KINDS)[number]
export const FOLLOW_UP_OUTCOMES = ['satisfied', 'unsatisfied', 'unreachable'] as const
export type FollowUpOutcome = (typeof FOLLOW_UP_OUTCOMES)[number]
export const RESOLUTION_MODES = ['on_the_spot', 'after_escalation'] as const
export type ResolutionMode = (typeof RESOLUTION_MODES)[number]
export type ActionName = 'log' | 'resolve' | 'escalate' | 'acknowledge' | 'follow-up' | 'withdraw' | 'assign' | 'notes'
  | 'await-customer' | 'resume' | 'merge' | 'request-extension' | 'decide-extension' | 'transfer' | 'send-back' | 'reopen'
/** Who may record a resolved complaint's follow-up call (policy followUpBy). */
export const FOLLOW_UP_BY = ['not_resolver', 'anyone'] as const
export type FollowUpBy = (typeof FOLLOW_UP_BY)[number]

export type ComplaintEvent =
  | { type: 'LOG'; actor: Actor }
  | { type: 'RESOLVE'; actor: Actor; amount: number | null }
  | { type: 'ESCALATE'; actor: Actor; reason: string }
  | { type: 'ACKNOWLEDGE'; actor: Actor }
  | { type: 'FOLLOW_UP'; actor: Actor; outcome: FollowUpOutcome }
  | { type: 'WITHDRAW'; actor: Actor }
  | { type: 'ASSIGN'; actor: Actor }
  | { type: 'NOTE'; actor: Actor }
  | { type: 'TRIAGE_MISSED'; actor: Actor }
  | { type: 'DEADLINE_MISSED'; actor: Actor }
  | { type: 'ACK_MISSED'; actor: Actor }
  | { type: 'DEADLINE_WARNING'; actor: Actor }
  | { type: 'FOLLOW_UP_DUE'; actor: Actor }
  | { type: 'ESCALATION_ROUTED'; actor: Actor }
  | { type: 'AWAIT_CUSTOMER'; actor: Actor }
  | { type: 'RESUME'; actor: Actor }
  | { type: 'MERGE'; actor: Actor }              // this complaint duplicates another: it closes into it
  | { type: 'ABSORB'; actor: Actor }             // the other side of a merge: the duplicate's history comes in
  | { type: 'REQUEST_EXTENSION'; actor: Actor }  // more time asked for the promise to the customer
  | { type: 'APPROVE_EXTENSION'; actor: Actor }  // decide-extension with approve: true
  | { type: 'REFUSE_EXTENSION'; actor: Actor }   // decide-extension with approve: false
  | { type: 'EXTENSION_LAPSED'; actor: Actor }   // a request still pending when the complaint left logged
  | { type: 'AWAITING_REMINDER'; actor: Actor }  // the customer has not answered for awaitingReminderAfter
  | { type: 'AWAITING_EXPIRED'; actor: Actor }   // nor for awaitingCloseAfter: the complaint closes as no_response
  | { type: 'TRANSFER'; actor: Actor }           // to another team (the command picks the team and the assignee)
  | { type: 'SEND_BACK'; actor: Actor }          // the receiving team sends a transfer back where it came from
  | { type: 'REOPEN'; actor: Actor }             // a closed complaint comes back, escalated one level up
  | { type: 'LINK_INCIDENT'; actor: Actor }      // joins an incident (many customers, one cause); the command names it
  | { type: 'UNLINK_INCIDENT'; actor: Actor }    // leaves it
export type EventType = ComplaintEvent['type']

export interface ComplaintContext {
  level: number
  maxLevel: number
  escalationReason: string | null
  acknowledged: boolean
  resolutionMode: ResolutionMode | null
  followUpAttempts: number
  followUpMaxAttempts: number
  closeReason: string | null
  reopened: number
  /** The response clock is stopped while the complaint waits for the customer (absent in older snapshots: false). */
  awaitingCustomer?: boolean
  /** Who asked for the pending extension of the promise; null (or absent in older snapshots) when none is pending. */
  extensionRequestedBy?: string | null
  /** Who resolved it last (absent in older snapshots, and null before a resolution: nobody is refused the call). */
  resolvedBy?: string | null
  /** policy.followUpBy when the complaint was received (absent in older snapshots: not_resolver). */
  followUpBy?: FollowUpBy
  /** A transfer that may still be sent back (absent in older snapshots: false). */
  sendBackOpen?: boolean
}
export interface MachineInput { maxLevel: number; followUpMaxAttempts: number; followUpBy?: FollowUpBy }
export interface PersistedMachine { value: ComplaintState; context: ComplaintContext }

export type Effect =
  | { type: 'armTimer'; kind: TimerKind }
  | { type: 'cancelTimer'; kind: TimerKind }
  | { type: 'notify'; event: string }
  | { type: 'routeEscalation' }
  | { type: 'pauseClock' }                  // stop the response clock: its pending deadlines are set aside
  | { type: 'resumeClock' }                 // restart it: those deadlines move by the time spent waiting

export type Decision =
  | { ok: true; persisted: PersistedMachine; effects: Effect[] }
  | { ok: false; code: 'invalid_transition' | 'forbidden' | 'authority_exceeded'; allowed: ActionName[] }

// The event each API action sends, with a neutral payload (no amount), so allowedActions can ask the machine.
export const ACTION_PROBE: Record<ActionName, (actor: Actor) => ComplaintEvent> = {
  log: (actor) => ({ type: 'LOG', actor }),
  resolve: (actor) => ({ type: 'RESOLVE', actor, amount: null }),
  escalate: (actor) => ({ type: 'ESCALATE', actor, reason: '' }),
  acknowledge: (actor) => ({ type: 'ACKNOWLEDGE', actor }),
  'follow-up': (actor) => ({ type: 'FOLLOW_UP', actor, outcome: 'satisfied' }),
  withdraw: (actor) => ({ type: 'WITHDRAW', actor }),
  assign: (actor) => ({ type: 'ASSIGN', actor }),
  notes: (actor) => ({ type: 'NOTE', actor }),
  'await-customer': (actor) => ({ type: 'AWAIT_CUSTOMER', actor }),
  resume: (actor) => ({ type: 'RESUME', actor }),
  merge: (actor) => ({ type: 'MERGE', actor }),
  'request-extension': (actor) => ({ type: 'REQUEST_EXTENSION', actor }),
  // Listed whenever a decision is possible: refusing is (approving also needs the clock running).
  'decide-extension': (actor) => ({ type: 'REFUSE_EXTENSION', actor }),
  transfer: (actor) => ({ type: 'TRANSFER', actor }),
  'send-back': (actor) => ({ type: 'SEND_BACK', actor }),
  reopen: (actor) => ({ type: 'REOPEN', actor }),
}
export const ACTION_NAMES = Object.keys(ACTION_PROBE) as readonly ActionName[]

export const HISTORY_TYPE: Record<EventType, string> = {
  LOG: 'complaint.logged',
  RESOLVE: 'complaint.resolved',
  ESCALATE: 'complaint.escalated',
  ACKNOWLEDGE: 'escalation.acknowledged',
  FOLLOW_UP: 'follow_up.recorded',
  WITHDRAW: 'complaint.withdrawn',
  ASSIGN: 'complaint.assigned',
  NOTE: 'complaint.note_added',
  TRIAGE_MISSED: 'deadline.triage_missed',
  DEADLINE_MISSED: 'deadline.response_missed',
  ACK_MISSED: 'deadline.ack_missed',
  DEADLINE_WARNING: 'deadline.warning',
  FOLLOW_UP_DUE: 'follow_up.due',
  ESCALATION_ROUTED: 'escalation.assigned',
  AWAIT_CUSTOMER: 'complaint.awaiting_customer',
  RESUME: 'complaint.resumed',
  MERGE: 'complaint.merged',
  ABSORB: 'complaint.duplicate_absorbed',
  REQUEST_EXTENSION: 'promise.extension_requested',
  APPROVE_EXTENSION: 'promise.extended',
  REFUSE_EXTENSION: 'promise.extension_refused',
  EXTENSION_LAPSED: 'promise.extension_lapsed',
  AWAITING_REMINDER: 'complaint.awaiting_reminder',
  AWAITING_EXPIRED: 'complaint.closed_no_response',
  TRANSFER: 'complaint.transferred',
  SEND_BACK: 'complaint.sent_back',
  REOPEN: 'complaint.reopened',
  LINK_INCIDENT: 'complaint.linked_to_incident',
  UNLINK_INCIDENT: 'complaint.unlinked_from_incident',
}
const EVENT_TYPE_BY_HISTORY = new Map(Object.entries(HISTORY_TYPE).map(([type, history]) => [history, type as EventType]))

export function machineEventType(historyType: string): EventType | undefined {
  return EVENT_TYPE_BY_HISTORY.get(historyType)
}

import {
  decide,
  HISTORY_TYPE,
  type Actor,
  type ComplaintEvent,
  type Effect,
  type PersistedMachine,
  type TimerKind,
} from '../../workflows/complaint.machine.js'
import type { Insertable } from 'kysely'
import type { Trx } from '../db/database.js'
import type { ComplaintEventsTable, ComplaintRow, ComplaintUpdate } from '../db/tables.js'
import { Problem } from '../http/problem.js'
import { clockFor, responseWindow, type ClockSubject } from '../sla/deadline-clock.js'
import type { SlaPolicy } from '../sla/policy.js'
import { updateComplaint } from './complaint.repository.js'
import type { JobKind } from '../timers/jobs.js'
import type { ActiveEndpoint } from '../webhooks/endpoints.repository.js'
import { writeOutbox, type PendingDelivery } from '../webhooks/outbox.js'
import { applyClockEffects } from './clock-pause.js'
import { timerId } from './timer-rows.js'

export interface ProjectionInput {
  row: ComplaintRow
  next: PersistedMachine
  effects: Effect[]
  now: Date
  due: ReadonlyMap<JobKind, Date>
}

/** One command: the machine event, what the history records, and the row fields it changes. */
export interface Command {
  event: ComplaintEvent
  data?: Record<string, unknown>
  /** Fields fixed before deadlines are computed (logging sets the severity and the promise). */
  prepare?: (row: ComplaintRow, now: Date, policy: SlaPolicy) => Partial<ComplaintUpdate>
  project?: (input: ProjectionInput) => Partial<ComplaintUpdate>
}

export interface TransitionResult {
  row: ComplaintRow
  effects: Effect[]
  seq: number
  armed: { id: string; kind: JobKind; dueAt: Date }[]
  /** The complaint_events type this transition appended. */
  historyType: string
  /** The outbound webhook deliveries it wrote (pending), to enqueue after commit. */
  deliveries: PendingDelivery[]
}

const REFUSALS = {
  invalid_transition: (state: string, event: string) => `${event} is not possible while the complaint is ${state}`,
  forbidden: (_state: string, event: string) => `your role or level may not ${event} this complaint`,
  authority_exceeded: () => 'the compensation is above your limit: escalate the complaint instead',
} as const

export function actionLabel(event: ComplaintEvent['type']): string {
  return event.toLowerCase().replaceAll('_', '-')
}

/**
 * Runs one command on a complaint row that the caller has locked: asks the pure machine for the next
 * state, then writes state, snapshot, version, the history event and the timer rows, all in `trx`.
 */
export async function applyCommand(
  trx: Trx,
  row: ComplaintRow,
  command: Command,
  context: {
    now: Date
    policy: SlaPolicy | (() => Promise<SlaPolicy>)
    /** The endpoints that take webhook events, read before the transaction (src/cache/caches.ts); else read in `trx`. */
    endpoints?: readonly ActiveEndpoint[]
    /** Where a batch gathers its history rows to append them in one statement (appendEvents) before it commits. */
    deferEvents?: EventRow[]
  },
): Promise<TransitionResult> {
  const { now } = context
  const current = row.machineSnapshot as PersistedMachine
  const decision = decide(current, command.event)
  if (!decision.ok) {
    const detail = REFUSALS[decision.code](current.value, actionLabel(command.event.type))
    throw new Problem(decision.code, detail, { allowed: decision.allowed, state: current.value })
  }
  // Most timer firings arm nothing: the policy is read only when a deadline is to be computed.
  const needsPolicy = command.prepare !== undefined ||
    decision.effects.some((e) => e.type === 'armTimer' || e.type === 'resumeClock')
  const policy = !needsPolicy ? undefined : typeof context.policy === 'function' ? await context.policy() : context.policy
  const prepared = command.prepare?.(row, now, policy!) ?? {}
  const promisedBy = (prepared.promisedBy as Date | undefined) ?? row.promisedBy
  // Every transition bumps the version by one and appends one event, the creation being version 1 and seq 1.
  const seq = row.version + 1

  const subject = { severity: (prepared.severity as string | undefined) ?? row.severity, customerTier: row.customerTier, team: row.team }
  const { armed, due } = await writeTimerEffects(trx, row.id, decision.effects, {
    seq, state: decision.persisted.value, now, policy, promisedBy, subject,
  })
  const clock = await applyClockEffects(trx, row, decision, { seq, now, policy, subject })
  armed.push(...clock.armed)

  const projected = command.project?.({ row, next: decision.persisted, effects: decision.effects, now, due }) ?? {}
  const closing = decision.persisted.value === 'closed' && row.state !== 'closed'
  const updated = await updateComplaint(trx, row.id, {
    ...prepared,
    ...projected,
    ...clock.patch,
    ...(closing ? { closeReason: decision.persisted.context.closeReason, closedAt: now } : {}),
    state: decision.persisted.value,
    machineSnapshot: JSON.stringify(decision.persisted),
    version: row.version + 1,
    updatedAt: now,
  })
  const event = eventRow(row.id, seq, command.event.type, command.event.actor, now, command.data ?? {})
  if (context.deferEvents) context.deferEvents.push(event)
  else await appendEvents(trx, [event])
  const historyType = HISTORY_TYPE[command.event.type]
  const deliveries = await writeOutbox(trx, { complaint: updated, seq, historyType, effects: decision.effects, at: now, endpoints: context.endpoints })
  return { row: updated, effects: decision.effects, seq, armed, historyType, deliveries }
}

/** Turns the machine's declared timer effects into timer rows: cancels first, then arms. */
export async function writeTimerEffects(
  trx: Trx,
  complaintId: string,
  effects: Effect[],
  at: { seq: number; state: string; now: Date; policy: SlaPolicy | undefined; promisedBy: Date | null; subject: ClockSubject },
): Promise<{ armed: TransitionResult['armed']; due: Map<JobKind, Date> }> {
  const due = new Map<JobKind, Date>()
  const cancelled = new Set<TimerKind>()
  for (const effect of effects) {
    if (effect.type === 'cancelTimer') {
      cancelled.add(effect.kind)
      due.delete(effect.kind)
    } else if (effect.type === 'armTimer') {
      if (!at.policy) throw new Error(`arming ${effect.kind} needs the SLA policy`)
      due.set(effect.kind, dueAt(effect.kind, { ...at, policy: at.policy }))
    } else if (effect.type === 'routeEscalation') {
      // Routing is a job that must survive a crash between commit and enqueue: a timer row due now.
      due.set('route_escalation', at.now)
    }
  }
  if (cancelled.size > 0) {
    await trx
      .updateTable('timers')
      .set({ cancelledAt: at.now })
      .where('complaintId', '=', complaintId)
      .where('kind', 'in', [...cancelled])
      .where('firedAt', 'is', null)
      .where('cancelledAt', 'is', null)
      .execute()
  }
  const armed = [...due].map(([kind, dueAtDate]) => ({ id: timerId(complaintId, kind, at.seq), kind, dueAt: dueAtDate }))
  if (armed.length > 0) {
    await trx
      .insertInto('timers')
      .values(armed.map((t) => ({ ...t, complaintId, armedState: at.state, armedSeq: at.seq })))
      .execute()
  }
  return { armed, due }
}

export type EventRow = Insertable<ComplaintEventsTable>

export function eventRow(
  complaintId: string,
  seq: number,
  eventType: ComplaintEvent['type'] | 'CREATED',
  actor: Actor,
  at: Date,
  data: Record<string, unknown>,
): EventRow {
  const type = eventType === 'CREATED' ? 'complaint.received' : HISTORY_TYPE[eventType]
  // The actor's authority at the time is kept so that the history replays through the same guards.
  const authority = actor.role === 'system' ? {} : { authority: { level: actor.level, compensationLimit: actor.compensationLimit } }
  return { complaintId, seq, type, actorId: actor.id, actorRole: actor.role, at, data: JSON.stringify({ ...data, ...authority }) }
}

/** Appends history rows in one statement, in the order given (a complaint's rows in seq order). */
export async function appendEvents(trx: Trx, rows: EventRow[]): Promise<void> {
  if (rows.length > 0) await trx.insertInto('complaintEvents').values(rows).execute()
}

export function dueAt(kind: TimerKind, input: { now: Date; policy: SlaPolicy; promisedBy: Date | null; subject: ClockSubject }): Date {
  const { now, policy, promisedBy, subject } = input
  const clock = clockFor(policy, subject)
  switch (kind) {
    case 'triage':
      return clock.add(now, policy.triage)
    case 'response':
      return promisedBy ?? clock.add(now, responseWindow(policy, subject))
    case 'response_warning': {
      const end = promisedBy ?? clock.add(now, responseWindow(policy, subject))
      return clock.addMs(now, Math.floor(clock.elapsed(now, end) * policy.warnAt))
    }
    case 'escalation_ack':
      return clock.add(now, policy.escalationAck)
    case 'escalation_response':
      return clock.add(now, policy.escalationResponse)
    case 'follow_up':
      return clock.add(now, policy.followUpAfter)
    case 'follow_up_retry':
      return clock.add(now, policy.followUpRetry)
  }
}

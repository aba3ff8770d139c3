import {
  decide,
  HISTORY_TYPE,
  type Actor,
  type ComplaintEvent,
  type ComplaintState,
  type Decision,
  type Effect,
  type PersistedMachine,
  type TimerKind,
} from '../../workflows/complaint.machine.js'
import type { Trx } from '../db/database.js'
import type { ClockPause, ComplaintRow, ComplaintUpdate, IdempotencyKeysTable } from '../db/tables.js'
import { Problem } from '../http/problem.js'
import { joinOutbox, NO_OUTBOX, notifiedTypes, planOutbox, withNotifications, type ActiveEndpoint, type PendingDelivery } from '../outbox/outbox.js'
import { planNotifications, type NotifiedCustomer } from '../notifications/plan.js'
import type { NotifyContext } from '../notifications/settings.js'
import { clockFor, responseWindow, type ClockSubject } from '../sla/deadline-clock.js'
import type { SlaPolicy } from '../sla/policy.js'
import type { JobKind } from '../timers/jobs.js'
import { byDueAt, type PendingTimer, type TimerInsert } from '../timers/timers.repository.js'
import { RolledBackForIdempotency } from './idempotency.js'
import { timerId } from './timer-rows.js'
import { withinHorizon } from '../timers/horizon.js'
import { COMPLAINT_COLUMNS, writeComplaint, type ComplaintWrite, type EventRow } from './writer.js'
import type { Insertable } from 'kysely'
import { jsonb } from '../db/jsonb.js'

export type { EventRow } from './writer.js'

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
  /** What the history row records; from the complaint as locked when it depends on it (say, who asked for an extension). */
  data?: Record<string, unknown> | ((row: ComplaintRow) => Record<string, unknown>)
  /** Refusals the machine cannot word (say, 409 extension_pending), checked before it decides. */
  check?: (locked: LockedComplaint, context: TransitionContext) => void
  /** Fields fixed before deadlines are computed (logging sets the severity and the promise). */
  prepare?: (row: ComplaintRow, now: Date, policy: SlaPolicy) => Partial<ComplaintUpdate>
  project?: (input: ProjectionInput) => Partial<ComplaintUpdate>
  /**
   * Reads what the command needs under the complaint's lock (a transfer: the receiving team's agent; a send-back: where
   * it came from) and answers the command to apply; run by the service after the lock, before planning.
   */
  load?: (trx: Trx, locked: LockedComplaint) => Promise<Command>
}

/** A complaint row locked by the caller, with its pending timers as they stand in that transaction. */
export interface LockedComplaint {
  row: ComplaintRow
  pending: PendingTimer[]
  /** Its customer, whom the transition may send a message (src/notifications). */
  customer?: NotifiedCustomer | undefined
}

/**
 * A timer a transition arms; `queued` when it is due within the horizon and so enqueued after commit, in the job
 * `jobId` names when it shares one (src/timers/job-groups.ts).
 */
export type ArmedTimer = { id: string; kind: JobKind; dueAt: Date; queued: boolean; jobId?: string | null }

export interface TransitionResult {
  row: ComplaintRow
  /** The complaint's pending timers once the transition is written, in due order. */
  pending: PendingTimer[]
  effects: Effect[]
  seq: number
  armed: ArmedTimer[]
  /** The pending timers it cancelled (or set aside with the clock): their jobs, if queued, leave Redis after commit. */
  cancelled: PendingTimer[]
  /** The complaint_events type this transition appended. */
  historyType: string
  /** The outbound webhook deliveries it wrote (pending), to enqueue after commit. */
  deliveries: PendingDelivery[]
  /** The history rows it appended (two when a consequence was written with it): the agent's feed is made of them. */
  history: HistoryEntry[]
}

/** A history row as written, its data parsed. */
export interface HistoryEntry {
  seq: number
  type: string
  actorId: string | null
  at: Date
  data: Record<string, unknown>
}

/** A transition composed in memory: what it will write, and the complaint as it will be. */
export interface PlannedTransition {
  result: TransitionResult
  write: ComplaintWrite
}

export interface TransitionContext {
  now: Date
  policy: SlaPolicy
  /** The endpoints that take webhook events, read before the transaction opens (src/cache/caches.ts). */
  endpoints: readonly ActiveEndpoint[]
  /** Timers due within this many ms are enqueued after commit; later ones wait for the loader (src/timers/horizon.ts). */
  horizonMs?: number
  /** The channels and templates messages to the customer are planned with; none without it. */
  notify?: NotifyContext | undefined
}

const REFUSALS = {
  invalid_transition: (state: string, event: string) => `${event} is not possible while the complaint is ${state}`,
  forbidden: (_state: string, event: string) => `your role or level may not ${event} this complaint`,
  authority_exceeded: () => 'the compensation is above your limit: escalate the complaint instead',
} as const

/** The deadlines that are the customer's response clock; waiting for the customer stops these only. */
const RESPONSE_CLOCK: readonly string[] = ['response', 'response_warning', 'escalation_response']

/** jsonb columns: written as JSON text (src/db/jsonb.ts), read back as values. */
const JSON_COLUMNS = new Set(Object.entries(COMPLAINT_COLUMNS).filter(([, type]) => type === 'jsonb').map(([column]) => column))

const SYSTEM: Actor = { id: null, role: 'system', level: null, compensationLimit: null }

export function actionLabel(event: ComplaintEvent['type']): string {
  return event.toLowerCase().replaceAll('_', '-')
}

/** The row as an UPDATE with this patch leaves it (computed in memory: the outbox payload and the answer need it). */
export function patched(row: ComplaintRow, patch: object): ComplaintRow {
  const next: Record<string, unknown> = { ...row }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    next[key] = JSON_COLUMNS.has(key) && typeof value === 'string' ? JSON.parse(value) : value
  }
  return next as unknown as ComplaintRow
}

/**
 * Runs one command on a complaint that the caller has locked: asks the pure machine for the next state, composes
 * the row, history, timers and outbox in memory, and writes them in one statement (see writeComplaint). With
 * `claim`, the request's Idempotency-Key is claimed by that same statement (RolledBackForIdempotency when a
 * concurrent request took it first).
 */
export async function applyCommand(
  trx: Trx,
  locked: LockedComplaint,
  command: Command,
  context: TransitionContext & { claim?: Insertable<IdempotencyKeysTable> },
): Promise<TransitionResult> {
  const planned = await planCommand(locked, command, context)
  const { row, claimed } = await writeComplaint(trx, { ...planned.write, ...(context.claim ? { claim: context.claim } : {}) })
  if (!claimed) throw new RolledBackForIdempotency()
  return { ...planned.result, row }
}

/**
 * Composes one command's transition in memory (no statement but the policy's and endpoints' reads, if needed), with
 * its consequence: an extension request still pending when the complaint leaves logged lapses, a transition of its
 * own written with it (its own history row and version).
 */
export async function planCommand(locked: LockedComplaint, command: Command, context: TransitionContext): Promise<PlannedTransition> {
  command.check?.(locked, context)
  const planned = await planOne(locked, command, context)
  const { result } = planned
  if (result.row.machineSnapshot.context.extensionRequestedBy && result.row.state !== 'logged') {
    const lapsed = await planOne({ row: result.row, pending: result.pending }, {
      event: { type: 'EXTENSION_LAPSED', actor: SYSTEM },
      data: { until: result.row.extension?.until ?? null },
      project: ({ row }) => ({ extension: jsonb({ ...row.extension!, status: 'lapsed' }) }),
    }, context)
    return joinPlanned(planned, lapsed)
  }
  return planned
}

/** Two transitions of one complaint planned one after the other, written as one (the answer shows the last). */
function joinPlanned(first: PlannedTransition, then: PlannedTransition): PlannedTransition {
  const [a, b] = [first.write, then.write]
  return {
    result: {
      ...then.result,
      effects: [...first.result.effects, ...then.result.effects],
      armed: [...first.result.armed, ...then.result.armed],
      cancelled: [...first.result.cancelled, ...then.result.cancelled],
      historyType: first.result.historyType,
      deliveries: [...first.result.deliveries, ...then.result.deliveries],
      history: [...first.result.history, ...then.result.history],
    },
    write: {
      complaintId: a.complaintId,
      update: { ...a.update, ...b.update },
      events: [...a.events, ...b.events],
      cancel: { kinds: [...a.cancel.kinds, ...b.cancel.kinds], at: a.cancel.at, ids: [...a.cancel.ids, ...b.cancel.ids] },
      arm: [...a.arm, ...b.arm],
      outbox: joinOutbox(a.outbox, b.outbox),
    },
  }
}

async function planOne(locked: LockedComplaint, command: Command, context: TransitionContext): Promise<PlannedTransition> {
  const { row } = locked
  const { now } = context
  const current = row.machineSnapshot
  const decision = decide(current, command.event)
  if (!decision.ok) {
    const detail = REFUSALS[decision.code](current.value, actionLabel(command.event.type))
    throw new Problem(decision.code, detail, { allowed: decision.allowed, state: current.value })
  }
  // Most timer firings arm nothing: the policy is read only when a deadline is to be computed.
  const needsPolicy = command.prepare !== undefined ||
    decision.effects.some((e) => e.type === 'armTimer' || e.type === 'resumeClock')
  const policy = needsPolicy ? context.policy : undefined
  const prepared = command.prepare?.(row, now, policy!) ?? {}
  const promisedBy = (prepared.promisedBy as Date | undefined) ?? row.promisedBy
  // Every transition bumps the version by one and appends one event, the creation being version 1 and seq 1.
  const seq = row.version + 1
  const state = decision.persisted.value

  const subject = { severity: prepared.severity ?? row.severity, customerTier: row.customerTier, team: row.team }
  const timers = planTimers(row.id, decision.effects, { seq, now, policy, promisedBy, subject, horizonMs: context.horizonMs })
  const afterEffects = [...locked.pending.filter((t) => !timers.cancelled.has(t.kind)), ...timers.armed]
  const clock = planClock(row, decision, afterEffects, { seq, now, policy, subject, horizonMs: context.horizonMs })
  const armed = [...timers.armed.filter((t) => !clock.paused.has(t.kind)), ...clock.armed]
  const pending = [...afterEffects.filter((t) => !clock.paused.has(t.kind)), ...clock.armed].sort(byDueAt)

  const projected = command.project?.({ row, next: decision.persisted, effects: decision.effects, now, due: timers.due }) ?? {}
  const closing = state === 'closed' && row.state !== 'closed'
  const update: ComplaintUpdate = {
    ...prepared,
    ...projected,
    ...clock.patch,
    ...originalPromise(row, command.event.type, (prepared.promisedBy ?? clock.patch.promisedBy) as Date | undefined),
    ...(closing ? { closeReason: decision.persisted.context.closeReason, closedAt: now } : {}),
    state,
    machineSnapshot: jsonb(decision.persisted),
    version: row.version + 1,
    updatedAt: now,
  }
  const next = patched(row, update)
  const cancelled = locked.pending.filter((t) => timers.cancelled.has(t.kind) || clock.paused.has(t.kind))
  const historyType = HISTORY_TYPE[command.event.type]
  const data = typeof command.data === 'function' ? command.data(row) : command.data ?? {}
  const event = eventRow(row.id, seq, command.event.type, command.event.actor, now, data)
  const outbox = withNotifications(
    notifiedTypes(decision.effects).length === 0
      ? NO_OUTBOX
      : planOutbox(context.endpoints, { complaint: next, seq, historyType, effects: decision.effects, at: now }),
    planNotifications(context.notify, { complaint: next, customer: locked.customer, seq, historyType, data, at: now, policy: context.policy }),
  )
  return {
    result: {
      row: next, pending, effects: decision.effects, seq, armed, historyType, deliveries: outbox.pending, cancelled,
      history: [{ seq, type: historyType, actorId: command.event.actor.id, at: now, data }],
    },
    write: {
      complaintId: row.id,
      update,
      events: [event],
      cancel: { kinds: [...timers.cancelled, ...(clock.paused.size > 0 ? RESPONSE_CLOCK : [])], at: now, ids: cancelled.map((t) => t.id) },
      arm: armed.map((t) => timerInsert(row.id, t, state, seq)),
      outbox,
    },
  }
}

/**
 * The first promise follows the promise in force (made when logged, moved by waiting for the customer) until an
 * extension is approved; from then on it stays. Null on older rows: the promise in force was never extended.
 */
function originalPromise(row: ComplaintRow, event: ComplaintEvent['type'], promisedBy: Date | undefined): Partial<ComplaintUpdate> {
  if (promisedBy === undefined) return {}
  if (event === 'APPROVE_EXTENSION') return { originalPromisedBy: row.originalPromisedBy ?? row.promisedBy }
  const extended = row.originalPromisedBy !== null && row.originalPromisedBy.getTime() !== row.promisedBy?.getTime()
  return extended ? {} : { originalPromisedBy: promisedBy }
}

export function timerInsert(complaintId: string, timer: ArmedTimer, armedState: ComplaintState, armedSeq: number): TimerInsert {
  return { id: timer.id, kind: timer.kind, dueAt: timer.dueAt, complaintId, armedState, armedSeq, queued: timer.queued }
}

/** The machine's declared timer effects: the kinds it cancels, the timers it arms and when they fall due. */
export function planTimers(
  complaintId: string,
  effects: Effect[],
  at: { seq: number; now: Date; policy: SlaPolicy | undefined; promisedBy: Date | null; subject: ClockSubject; horizonMs?: number | undefined },
): { cancelled: Set<string>; armed: ArmedTimer[]; due: Map<JobKind, Date> } {
  const due = new Map<JobKind, Date>()
  const cancelled = new Set<string>()
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
  const armed = [...due].map(([kind, dueAtDate]) => ({
    id: timerId(complaintId, kind, at.seq), kind, dueAt: dueAtDate, queued: withinHorizon(dueAtDate, at.now, at.horizonMs),
  }))
  return { cancelled, armed, due }
}

type Ok = Extract<Decision, { ok: true }>

/**
 * The machine's pauseClock / resumeClock effects. Pausing sets the pending response deadlines aside (cancelled,
 * remembered with the pause); resuming arms them again, each moved by the time spent waiting, counted the way the
 * complaint's deadlines count (business hours or around the clock). Any other way out of the wait (resolved,
 * escalated, closed) simply forgets the pause.
 */
function planClock(
  row: ComplaintRow,
  decision: Ok,
  pendingTimers: PendingTimer[],
  at: { seq: number; now: Date; policy: SlaPolicy | undefined; subject: ClockSubject; horizonMs?: number | undefined },
): { paused: Set<string>; armed: ArmedTimer[]; patch: Partial<ComplaintUpdate> } {
  const { now, seq } = at
  if (decision.effects.some((e) => e.type === 'pauseClock')) {
    const set = pendingTimers.filter((t) => RESPONSE_CLOCK.includes(t.kind))
    const pause: ClockPause = { pausedAt: now.toISOString(), deadlines: set.map((t) => ({ kind: t.kind, dueAt: t.dueAt.toISOString() })) }
    return { paused: new Set(RESPONSE_CLOCK), armed: [], patch: { clockPaused: jsonb(pause) } }
  }
  if (decision.effects.some((e) => e.type === 'resumeClock') && row.clockPaused) {
    const clock = clockFor(at.policy!, at.subject)
    const pausedAt = new Date(row.clockPaused.pausedAt)
    const armed = row.clockPaused.deadlines.map(({ kind, dueAt }) => {
      // What was left of the window when the clock stopped, counted again from now.
      const due = clock.addMs(now, clock.elapsed(pausedAt, new Date(dueAt)))
      return { id: timerId(row.id, kind, seq), kind, dueAt: due, queued: withinHorizon(due, now, at.horizonMs) }
    })
    const response = armed.find((t) => t.kind === 'response')
    return { paused: new Set(), armed, patch: { clockPaused: jsonb(null), ...(response ? { promisedBy: response.dueAt } : {}) } }
  }
  if (row.clockPaused && decision.persisted.context.awaitingCustomer !== true) {
    return { paused: new Set(), armed: [], patch: { clockPaused: jsonb(null) } }
  }
  return { paused: new Set(), armed: [], patch: {} }
}

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
  return { complaintId, seq, type, actorId: actor.id, actorRole: actor.role, at, data: jsonb({ ...data, ...authority }) }
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
    case 'awaiting_reminder':
      return clock.add(now, policy.awaitingReminderAfter)
    case 'awaiting_close':
      return clock.add(now, policy.awaitingCloseAfter)
  }
}

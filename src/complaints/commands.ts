import type { Static } from 'typebox'
import type { Actor } from '../../workflows/complaint.machine.js'
import type { ComplaintRow, ComplaintUpdate, EscalationRecord, ExtensionRecord, FollowUpRecord, ResolutionRecord } from '../db/tables.js'
import { Problem, problems } from '../http/problem.js'
import { clockFor, responseWindow } from '../sla/deadline-clock.js'
import { addDuration } from '../sla/policy.js'
import type {
  AssignBody,
  DecideExtensionBody,
  EscalateBody,
  FollowUpBody,
  LogBody,
  NoteBody,
  ReopenBody,
  RequestExtensionBody,
  ResolveBody,
  WaitBody,
  WithdrawBody,
} from './complaint.schemas.js'
import type { Command, ProjectionInput } from './transition.js'
import { jsonb } from '../db/jsonb.js'

const iso = (d: Date | undefined | null) => (d ? d.toISOString() : null)

/** Every entry into `escalated` opens a fresh escalation record at the machine's level. */
export function escalationOpened({ next, due, effects }: ProjectionInput): Pick<ComplaintUpdate, 'escalation' | 'resolution'> {
  if (!effects.some((e) => e.type === 'routeEscalation')) return {}
  const escalation: EscalationRecord = {
    level: next.context.level,
    reason: next.context.escalationReason ?? 'escalated',
    assigneeId: null,
    acknowledgedAt: null,
    ackDueAt: iso(due.get('escalation_ack')),
  }
  return { escalation: jsonb(escalation), resolution: jsonb(null) }
}

/** An explicit promise is a time ahead, and not further ahead than policy.maxPromise. */
function promiseWithin(promisedBy: Date, now: Date, maxPromise: string): Date {
  if (promisedBy <= now) {
    throw problems.validation([{ field: 'body.promisedBy', message: `is not in the future (now is ${now.toISOString()})` }])
  }
  const latest = addDuration(now, maxPromise)
  if (promisedBy > latest) {
    throw problems.validation([{ field: 'body.promisedBy', message: `is more than ${maxPromise} (policy maxPromise) ahead: ${latest.toISOString()} at the latest` }])
  }
  return promisedBy
}

export function logCommand(actor: Actor, body: Static<typeof LogBody>): Command {
  return {
    event: { type: 'LOG', actor },
    data: { ...body },
    prepare: (row, now, policy) => {
      const severity = body.severity ?? row.severity
      const subject = { severity, customerTier: row.customerTier, team: row.team }
      const promisedBy = body.promisedBy ? promiseWithin(new Date(body.promisedBy), now, policy.maxPromise)
        : clockFor(policy, subject).add(now, responseWindow(policy, subject))
      return { category: body.category ?? row.category, severity, promisedBy }
    },
  }
}

export function resolveCommand(actor: Actor, body: Static<typeof ResolveBody>): Command {
  const compensation = body.compensation
    ? { kind: body.compensation.kind, amount: body.compensation.amount ?? null, currency: body.compensation.currency ?? null }
    : null
  return {
    event: { type: 'RESOLVE', actor, amount: compensation?.amount ?? null },
    data: { summary: body.summary, compensation },
    project: ({ next, now, due }) => {
      const followUp: FollowUpRecord = { dueAt: iso(due.get('follow_up')), attempts: 0, outcome: null, satisfaction: null, comment: null }
      const resolution: ResolutionRecord = {
        // markResolved has set it: RESOLVE is accepted only by a transition that runs it.
        mode: next.context.resolutionMode!,
        summary: body.summary,
        compensation,
        resolvedBy: actor.id,
        resolvedAt: now.toISOString(),
      }
      return { resolution: jsonb(resolution), followUp: jsonb(followUp) }
    },
  }
}

export function escalateCommand(actor: Actor, body: Static<typeof EscalateBody>): Command {
  return { event: { type: 'ESCALATE', actor, reason: body.reason }, data: { ...body }, project: escalationOpened }
}

export function acknowledgeCommand(actor: Actor): Command {
  return {
    event: { type: 'ACKNOWLEDGE', actor },
    project: ({ row, now }) => ({
      assigneeId: actor.id,
      escalation: jsonb({
        ...row.escalation!,
        assigneeId: actor.id,
        acknowledgedAt: now.toISOString(),
        ackDueAt: null,
      }),
    }),
  }
}

export function followUpCommand(actor: Actor, body: Static<typeof FollowUpBody>): Command {
  return {
    event: { type: 'FOLLOW_UP', actor, outcome: body.outcome },
    data: { ...body },
    // The machine's notResolverUnlessAllowed guard refuses it too (forbidden); this only says why.
    check: ({ row }) => {
      const context = row.machineSnapshot.context
      if (row.state === 'follow_up' && actor.role === 'agent' && (context.followUpBy ?? 'not_resolver') === 'not_resolver' &&
        context.resolvedBy != null && context.resolvedBy === actor.id) {
        throw new Problem('forbidden', 'you resolved this complaint: under policy followUpBy "not_resolver" a colleague or a supervisor records its follow-up call')
      }
    },
    project: (input) => {
      const followUp: FollowUpRecord = {
        dueAt: iso(input.due.get('follow_up_retry')),
        attempts: input.next.context.followUpAttempts,
        outcome: body.outcome,
        satisfaction: body.satisfaction ?? null,
        comment: body.comment ?? null,
      }
      return { followUp: jsonb(followUp), ...escalationOpened(input) }
    },
  }
}

/**
 * A closed complaint comes back within policy.reopenWithin of its closing (409 reopen_window_passed after), escalated
 * one level up with reason `reopened`; the machine refuses one closed as withdrawn or duplicate (invalid_transition).
 */
export function reopenCommand(actor: Actor, body: Static<typeof ReopenBody>): Command {
  return {
    event: { type: 'REOPEN', actor },
    data: { ...body },
    check: ({ row }, { now, policy }) => {
      if (row.state !== 'closed' || row.closedAt === null || ['withdrawn', 'duplicate'].includes(row.closeReason ?? '')) return
      const until = addDuration(row.closedAt, policy.reopenWithin)
      if (now > until) {
        throw new Problem('reopen_window_passed', `the complaint could be reopened until ${until.toISOString()} (policy reopenWithin): log a new one`, { state: row.state })
      }
    },
    project: (input) => ({ ...escalationOpened(input), closeReason: null, closedAt: null }),
  }
}

export function withdrawCommand(actor: Actor, body: Static<typeof WithdrawBody>): Command {
  return { event: { type: 'WITHDRAW', actor }, data: { ...body } }
}

export function assignCommand(actor: Actor, body: Static<typeof AssignBody>): Command {
  return { event: { type: 'ASSIGN', actor }, data: { ...body }, project: () => ({ assigneeId: body.assigneeId }) }
}

export function noteCommand(actor: Actor, body: Static<typeof NoteBody>): Command {
  return { event: { type: 'NOTE', actor }, data: { ...body } }
}

export function awaitCustomerCommand(actor: Actor, body: Static<typeof WaitBody>): Command {
  return { event: { type: 'AWAIT_CUSTOMER', actor }, data: { ...body } }
}

export function resumeCommand(actor: Actor, body: Static<typeof WaitBody>): Command {
  return { event: { type: 'RESUME', actor }, data: { ...body } }
}

const pendingExtension = (row: { extension: ExtensionRecord | null }) => (row.extension?.status === 'pending' ? row.extension : null)

/**
 * More time for the promise to the customer, asked for before it breaks: later than the promise in force and at most
 * policy.maxExtension after it. One pending request at a time; the deadline keeps running meanwhile.
 */
export function requestExtensionCommand(actor: Actor, body: Static<typeof RequestExtensionBody>): Command {
  const until = new Date(body.until)
  return {
    event: { type: 'REQUEST_EXTENSION', actor },
    data: { ...body, until: until.toISOString() },
    check: ({ row, pending }) => {
      if (pendingExtension(row)) {
        throw new Problem('extension_pending', `an extension to ${row.extension!.until} is already waiting for a supervisor's decision`)
      }
      if (row.state === 'logged' && row.clockPaused === null && !pending.some((t) => t.kind === 'response')) {
        throw new Problem('invalid_transition', 'the response deadline is not pending: there is no promise to extend', { state: row.state })
      }
    },
    prepare: (row, _now, policy) => {
      const promisedBy = row.promisedBy!
      if (until <= promisedBy) {
        throw problems.validation([{ field: 'body.until', message: `must be later than the promise in force (${promisedBy.toISOString()})` }])
      }
      const latest = addDuration(promisedBy, policy.maxExtension)
      if (until > latest) {
        throw problems.validation([{ field: 'body.until', message: `must be at most ${policy.maxExtension} (policy maxExtension) after the promise in force: ${latest.toISOString()} at the latest` }])
      }
      return {}
    },
    project: ({ now }) => {
      const extension: ExtensionRecord = {
        status: 'pending', until: until.toISOString(), reason: body.reason, requestedBy: actor.id, requestedAt: now.toISOString(),
        decidedBy: null, decidedAt: null, note: null,
      }
      return { extension: jsonb(extension) }
    },
  }
}

/** A supervisor other than the requester approves (the promise moves, its deadline and warning with it) or refuses. */
export function decideExtensionCommand(actor: Actor, body: Static<typeof DecideExtensionBody>): Command {
  return {
    event: { type: body.approve ? 'APPROVE_EXTENSION' : 'REFUSE_EXTENSION', actor },
    // Whose request it was: the decision reaches the requester's feed (src/live/feed.ts).
    data: (row) => ({ ...body, until: row.extension?.until ?? null, requestedBy: row.extension?.requestedBy ?? null }),
    check: ({ row }) => {
      const request = pendingExtension(row)
      if (!request) throw new Problem('no_pending_extension', 'no extension request is waiting for a decision on this complaint')
      if (request.requestedBy !== null && request.requestedBy === actor.id) {
        throw new Problem('forbidden', 'you asked for this extension: another supervisor decides it')
      }
    },
    ...(body.approve ? { prepare: (row: ComplaintRow) => ({ promisedBy: new Date(row.extension!.until) }) } : {}),
    project: ({ row, now }) => {
      const decided: ExtensionRecord = {
        ...row.extension!, status: body.approve ? 'approved' : 'refused', decidedBy: actor.id, decidedAt: now.toISOString(),
        note: body.note ?? null,
      }
      return { extension: jsonb(decided) }
    },
  }
}

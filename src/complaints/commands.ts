import type { Static } from 'typebox'
import type { Actor } from '../../workflows/complaint.machine.js'
import type { EscalationRecord, FollowUpRecord } from '../db/tables.js'
import { clockFor, responseWindow } from '../sla/deadline-clock.js'
import type {
  AssignBody,
  EscalateBody,
  FollowUpBody,
  LogBody,
  NoteBody,
  ResolveBody,
  WaitBody,
  WithdrawBody,
} from './complaint.schemas.js'
import type { Command, ProjectionInput } from './transition.js'

const iso = (d: Date | undefined | null) => (d ? d.toISOString() : null)

/** Every entry into `escalated` opens a fresh escalation record at the machine's level. */
export function escalationOpened({ next, due, effects }: ProjectionInput): { escalation?: string; resolution?: string } {
  if (!effects.some((e) => e.type === 'routeEscalation')) return {}
  const escalation: EscalationRecord = {
    level: next.context.level,
    reason: next.context.escalationReason ?? 'escalated',
    assigneeId: null,
    acknowledgedAt: null,
    ackDueAt: iso(due.get('escalation_ack')),
  }
  return { escalation: JSON.stringify(escalation), resolution: JSON.stringify(null) }
}

export function logCommand(actor: Actor, body: Static<typeof LogBody>): Command {
  return {
    event: { type: 'LOG', actor },
    data: { ...body },
    prepare: (row, now, policy) => {
      const severity = body.severity ?? row.severity
      const subject = { severity, customerTier: row.customerTier, team: row.team }
      const promisedBy = body.promisedBy ? new Date(body.promisedBy) : clockFor(policy, subject).add(now, responseWindow(policy, subject))
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
      return {
        resolution: JSON.stringify({
          mode: next.context.resolutionMode,
          summary: body.summary,
          compensation,
          resolvedBy: actor.id,
          resolvedAt: now.toISOString(),
        }),
        followUp: JSON.stringify(followUp),
      }
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
      escalation: JSON.stringify({
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
    project: (input) => {
      const followUp: FollowUpRecord = {
        dueAt: iso(input.due.get('follow_up_retry')),
        attempts: input.next.context.followUpAttempts,
        outcome: body.outcome,
        satisfaction: body.satisfaction ?? null,
        comment: body.comment ?? null,
      }
      return { followUp: JSON.stringify(followUp), ...escalationOpened(input) }
    },
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

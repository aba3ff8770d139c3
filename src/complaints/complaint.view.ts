import { allowedActions, TIMER_KINDS, type Actor, type PersistedMachine, type TimerKind } from '../../workflows/complaint.machine.js'
import type { AuthUser } from '../auth/auth.plugin.js'
import type { ComplaintRecord } from './complaint.repository.js'

const iso = (date: Date | null) => (date ? date.toISOString() : null)

export function actorOf(user: AuthUser): Actor {
  return { id: user.id, role: user.role, level: user.level, compensationLimit: user.compensationLimit }
}

/** The complaint as the contract shows it to this caller. */
export function presentComplaint({ complaint: c, customer, timers }: ComplaintRecord, user: AuthUser) {
  return {
    id: c.id,
    reference: c.reference,
    state: c.state,
    channel: c.channel,
    customer: {
      id: customer.id,
      name: customer.name,
      phone: customer.phone,
      email: customer.email,
      externalId: customer.externalId,
      tier: customer.tier,
    },
    category: c.category,
    severity: c.severity,
    summary: c.summary,
    description: c.description,
    product: c.product,
    region: c.region,
    team: c.team,
    assigneeId: c.assigneeId,
    promisedBy: iso(c.promisedBy),
    escalation: c.escalation,
    resolution: c.resolution,
    followUp: c.followUp,
    closeReason: c.closeReason,
    clockPausedAt: c.clockPaused?.pausedAt ?? null,
    possibleDuplicateOf: c.possibleDuplicateOf,
    externalRef: c.externalRef,
    deadlines: timers
      .filter((t) => (TIMER_KINDS as readonly string[]).includes(t.kind))
      .map((t) => ({ kind: t.kind as TimerKind, dueAt: t.dueAt.toISOString() })),
    actions: allowedActions(c.machineSnapshot as PersistedMachine, actorOf(user)),
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    closedAt: iso(c.closedAt),
  }
}

export type ComplaintView = ReturnType<typeof presentComplaint>

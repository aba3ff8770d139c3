import { allowedActions, TIMER_KINDS, type Actor } from '../../workflows/complaint.machine.js'
import type { AuthUser } from '../auth/auth.plugin.js'
import type { EscalationRecord, FollowUpRecord } from '../db/tables.js'
import type { ComplaintRecord } from './complaint.repository.js'
import { presentCustomerFields } from '../customers/customer.view.js'

const iso = (date: Date | null) => (date ? date.toISOString() : null)

/**
 * The view must never fail on what an older or broken policy wrote: an escalation stored at level 0 (a policy with
 * maxLevel null did that) shows as level 1, a follow-up count that is not a count as 0. The response schema would
 * otherwise refuse to serialize the row, and a request that had committed would answer 500.
 */
function presentEscalation(escalation: EscalationRecord | null): EscalationRecord | null {
  if (!escalation) return null
  return Number.isInteger(escalation.level) && escalation.level >= 1 ? escalation : { ...escalation, level: 1 }
}

function presentFollowUp(followUp: FollowUpRecord | null): FollowUpRecord | null {
  if (!followUp) return null
  return Number.isInteger(followUp.attempts) && followUp.attempts >= 0 ? followUp : { ...followUp, attempts: 0 }
}

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
    customer: presentCustomerFields(customer),
    category: c.category,
    severity: c.severity,
    summary: c.summary,
    description: c.description,
    product: c.product,
    region: c.region,
    team: c.team,
    assigneeId: c.assigneeId,
    promisedBy: iso(c.promisedBy),
    originalPromisedBy: iso(c.originalPromisedBy ?? c.promisedBy),
    extension: c.extension,
    escalation: presentEscalation(c.escalation),
    resolution: c.resolution,
    followUp: presentFollowUp(c.followUp),
    closeReason: c.closeReason,
    clockPausedAt: c.clockPaused?.pausedAt ?? null,
    possibleDuplicateOf: c.possibleDuplicateOf,
    repeatOf: c.repeatOf ?? null,
    transfer: c.transfer ?? null,
    incidentId: c.incidentId ?? null,
    externalRef: c.externalRef,
    deadlines: timers
      .filter((t) => (TIMER_KINDS as readonly string[]).includes(t.kind))
      .map((t) => ({ kind: t.kind, dueAt: t.dueAt.toISOString() })),
    actions: allowedActions(c.machineSnapshot, actorOf(user)),
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    closedAt: iso(c.closedAt),
  }
}

export type ComplaintView = ReturnType<typeof presentComplaint>

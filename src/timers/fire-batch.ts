import type { Actor, ComplaintEvent, TimerKind } from '../../workflows/complaint.machine.js'
import { escalationOpened } from '../complaints/commands.js'
import { planCommand, type Command, type LockedComplaint, type TransitionContext, type TransitionResult } from '../complaints/transition.js'
import type { ComplaintWrite } from '../complaints/writer.js'
import type { ComplaintRow, TimerRow } from '../db/tables.js'
import type { RoutingNeeds, Workloads } from '../escalations/router.js'
import { Problem } from '../http/problem.js'
import { groupJobs } from './job-groups.js'
import { MISS_KINDS, type JobKind } from './jobs.js'
import { jsonb } from '../db/jsonb.js'

export const SYSTEM_ACTOR: Actor = { id: null, role: 'system', level: null, compensationLimit: null }

export type FireOutcome = 'fired' | 'not_pending' | 'stale' | 'refused'

export interface FireResult {
  outcome: FireOutcome
  results: TransitionResult[]
  /** The claimed timer's due instant (absent when nothing was claimed). */
  dueAt?: Date
}

const EVENT_OF: Record<TimerKind, ComplaintEvent['type']> = {
  triage: 'TRIAGE_MISSED',
  response: 'DEADLINE_MISSED',
  response_warning: 'DEADLINE_WARNING',
  escalation_ack: 'ACK_MISSED',
  escalation_response: 'DEADLINE_MISSED',
  follow_up: 'FOLLOW_UP_DUE',
  follow_up_retry: 'FOLLOW_UP_DUE',
  awaiting_reminder: 'AWAITING_REMINDER',
  awaiting_close: 'AWAITING_EXPIRED',
}

/** A claimed timer, and whether a newer routing job of its complaint existed when it was claimed. */
export type ClaimedTimer = TimerRow & { superseded: boolean }

const ESCALATING: ReadonlySet<JobKind> = new Set(MISS_KINDS)

/**
 * What the claimed timers of a batch hand out, so the batch reads the workloads only when it routes: a routing job,
 * or a deadline whose escalation the batch routes itself (planFirings).
 */
export function routingNeeds(claimed: ClaimedTimer[]): RoutingNeeds {
  return {
    escalations: claimed.some((t) => (t.kind === 'route_escalation' && !t.superseded) || ESCALATING.has(t.kind)),
    followUps: claimed.some((t) => t.kind !== 'route_escalation' && EVENT_OF[t.kind] === 'FOLLOW_UP_DUE'),
  }
}

/**
 * Plans the batch's firings in memory, in due order, each on the complaint as the transitions before it in the batch
 * leave it (a warning and its deadline of one complaint run one after the other), and answers each timer's outcome
 * and the writes of those that fired, in that order.
 */
export async function planFirings(
  claimed: ClaimedTimer[],
  locked: LockedComplaint[],
  workloads: Workloads,
  context: TransitionContext,
): Promise<{ outcomes: Map<string, FireResult>; writes: ComplaintWrite[] }> {
  const outcomes = new Map<string, FireResult>()
  const writes: ComplaintWrite[] = []
  const complaints = new Map(locked.map(({ row, pending, customer }) => [row.id, { row, pending, customer }]))
  // A routing job armed by a transition of this batch overtakes the complaint's routing jobs claimed with it.
  const routedAgain = new Set<string>()
  const fire = async (timer: ClaimedTimer, inline: boolean): Promise<FireResult> => {
    const current = complaints.get(timer.complaintId)!
    // The claimed timer is no longer pending for the transitions that follow.
    current.pending = current.pending.filter((t) => t.id !== timer.id)
    const { row } = current
    const superseded = !inline && timer.kind === 'route_escalation' && (timer.superseded || routedAgain.has(row.id))
    if (row.state !== timer.armedState || superseded) return { outcome: 'stale', results: [], dueAt: timer.dueAt }
    try {
      const planned = await planCommand(current, commandFor(row, timer, workloads), context)
      const { result } = planned
      workloads.moved(row, result.row)
      if (result.armed.some((t) => t.kind === 'route_escalation')) routedAgain.add(row.id)
      complaints.set(row.id, { ...current, row: result.row, pending: result.pending })
      writes.push(planned.write)
      const results = [result]
      // The escalation it opens is routed here, with the loads the batch read, rather than by a routing job
      // after commit: the routing timer is written fired, and its transition follows in the same statement.
      for (const armed of result.armed) {
        if (!workloads.routesEscalations || armed.kind !== 'route_escalation' || armed.dueAt > context.now) continue
        armed.queued = false
        const insert = planned.write.arm.find((t) => t.id === armed.id)!
        Object.assign(insert, { queued: false, firedAt: context.now })
        const routed = await fire({ ...insert, complaintId: row.id, dueAt: armed.dueAt, queued: false, jobId: null,
          createdAt: context.now, firedAt: context.now, cancelledAt: null, superseded: false } as ClaimedTimer, true)
        results.push(...routed.results)
      }
      return { outcome: 'fired', results, dueAt: timer.dueAt }
    } catch (error) {
      // The machine refuses (say, an acknowledgement timer for an escalation taken meanwhile): the claim stands.
      if (!(error instanceof Problem && error.code === 'invalid_transition')) throw error
      return { outcome: 'refused', results: [], dueAt: timer.dueAt }
    }
  }
  for (const timer of [...claimed].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.armedSeq - b.armedSeq)) {
    outcomes.set(timer.id, await fire(timer, false))
  }
  shareJobs(writes, [...outcomes.values()].flatMap((o) => o.results))
  return { outcomes, writes }
}

/**
 * The timers the batch arms within the horizon share jobs as the loader's do (job-groups.ts): say, the acknowledgement
 * deadlines of the escalations a deadline batch opens, when due within the horizon. Written into the rows (`job_id`)
 * and the results that enqueue them after commit.
 */
function shareJobs(writes: ComplaintWrite[], results: TransitionResult[]): void {
  const jobIds = groupJobs(results.flatMap((r) => r.armed.filter((t) => t.queued)))
  if (jobIds.size === 0) return
  for (const timer of results.flatMap((r) => r.armed)) timer.jobId = jobIds.get(timer.id) ?? null
  for (const timer of writes.flatMap((w) => w.arm)) timer.jobId = jobIds.get(timer.id) ?? null
}

/** Who holds the complaint: the escalation's supervisor while escalated, else its assignee. */
export function holderOf(row: ComplaintRow): string | null {
  return (row.state === 'escalated' ? row.escalation?.assigneeId : row.assigneeId) ?? null
}

function commandFor(row: ComplaintRow, timer: TimerRow, workloads: Workloads): Command {
  const data = { timerId: timer.id, kind: timer.kind, dueAt: timer.dueAt.toISOString() }
  if (timer.kind === 'route_escalation') {
    const choice = workloads.supervisorFor({ level: row.escalation?.level ?? 1, team: row.team })
    return {
      event: { type: 'ESCALATION_ROUTED', actor: SYSTEM_ACTOR },
      data: { ...data, assigneeId: choice?.supervisorId ?? null, level: choice?.level ?? null, sameTeam: choice?.sameTeam ?? false },
      project: () => ({ escalation: jsonb({ ...row.escalation!, assigneeId: choice?.supervisorId ?? null }) }),
    }
  }
  const type = EVENT_OF[timer.kind]
  if (type === 'FOLLOW_UP_DUE') {
    const caller = workloads.followUpCallerFor({ resolvedBy: row.resolution?.resolvedBy ?? null, team: row.team })
    return { event: { type, actor: SYSTEM_ACTOR }, data: { ...data, assigneeId: caller }, project: () => (caller ? { assigneeId: caller } : {}) }
  }
  // A warning or a missed deadline concerns whoever holds the complaint when it falls due (the agent's feed).
  return { event: { type, actor: SYSTEM_ACTOR } as ComplaintEvent, data: { ...data, assigneeId: holderOf(row) }, project: escalationOpened }
}

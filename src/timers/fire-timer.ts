import type { Actor, ComplaintEvent, TimerKind } from '../../workflows/complaint.machine.js'
import { escalationOpened } from '../complaints/commands.js'
import { lockComplaints } from '../complaints/complaint.repository.js'
import { applyCommand, type Command, type LockedComplaint, type TransitionResult } from '../complaints/transition.js'
import type { Db, Trx } from '../db/database.js'
import type { ComplaintRow, TimerRow } from '../db/tables.js'
import { chooseFollowUpCaller, chooseSupervisor } from '../escalations/router.js'
import { Problem } from '../http/problem.js'
import { cachesOf } from '../cache/caches.js'
import { pending } from './timers.repository.js'
import { complaintOfTimer } from '../complaints/timer-rows.js'

export const SYSTEM_ACTOR: Actor = { id: null, role: 'system', level: null, compensationLimit: null }

const EVENT_OF: Record<TimerKind, ComplaintEvent['type']> = {
  triage: 'TRIAGE_MISSED',
  response: 'DEADLINE_MISSED',
  response_warning: 'DEADLINE_WARNING',
  escalation_ack: 'ACK_MISSED',
  escalation_response: 'DEADLINE_MISSED',
  follow_up: 'FOLLOW_UP_DUE',
  follow_up_retry: 'FOLLOW_UP_DUE',
}

export type FireOutcome = 'fired' | 'not_pending' | 'stale' | 'refused'

export interface FireResult {
  outcome: FireOutcome
  results: TransitionResult[]
  /** The claimed timer's due instant (absent when nothing was claimed). */
  dueAt?: Date
}

/** Fires one timer at most once in effect (see fireTimers). */
export async function fireTimer(db: Db, timerId: string, now = new Date(), horizonMs?: number): Promise<FireResult> {
  return (await fireTimers(db, [timerId], now, horizonMs)).get(timerId)!
}

/**
 * Fires a batch of timers, each at most once in effect, in one transaction. The complaints are locked
 * first, in id order (every transition locks its complaint before touching timers, so a batch never
 * deadlocks with an API action or another batch), then the rows are claimed with a conditional update:
 * a duplicate, retried or cancelled job finds nothing to claim and does nothing.
 */
export async function fireTimers(db: Db, timerIds: string[], now = new Date(), horizonMs?: number): Promise<Map<string, FireResult>> {
  const outcomes = new Map<string, FireResult>(timerIds.map((id) => [id, { outcome: 'not_pending', results: [] }]))
  if (timerIds.length === 0) return outcomes
  // From memory, before the transaction takes its connection (a read inside it would need a second one).
  const caches = cachesOf(db)
  const [{ policy }, endpoints] = await Promise.all([caches.policy(), caches.endpoints()])
  return db.transaction().execute(async (trx) => {
    // A timer's id names its complaint: the batch locks the complaints before it reads a timer row.
    const ids = [...new Set(timerIds.map(complaintOfTimer).filter((id): id is string => id !== undefined))]
    const rows = await lockComplaints(trx, ids)
    if (rows.length === 0) return outcomes
    const claimed = await trx
      .updateTable('timers')
      .set({ firedAt: now })
      .where('id', 'in', timerIds)
      .where(pending)
      .returningAll()
      .execute()
    const complaints = new Map<string, LockedComplaint>(rows.map(({ row, pending }) => [row.id, { row, pending }]))
    for (const timer of claimed.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.armedSeq - b.armedSeq)) {
      const locked = complaints.get(timer.complaintId)!
      // The claimed timer is no longer pending for the transitions that follow.
      locked.pending = locked.pending.filter((t) => t.id !== timer.id)
      const { row } = locked
      if (row.state !== timer.armedState || (await superseded(trx, timer))) {
        outcomes.set(timer.id, { outcome: 'stale', results: [], dueAt: timer.dueAt })
        continue
      }
      try {
        const result = await applyCommand(trx, locked, await commandFor(trx, row, timer), { now, policy, endpoints, horizonMs })
        complaints.set(row.id, { row: result.row, pending: result.pending })
        outcomes.set(timer.id, { outcome: 'fired', results: [result], dueAt: timer.dueAt })
      } catch (error) {
        // The machine refuses (say, an acknowledgement timer for an escalation taken meanwhile): the claim stands.
        if (!(error instanceof Problem && error.code === 'invalid_transition')) throw error
        outcomes.set(timer.id, { outcome: 'refused', results: [], dueAt: timer.dueAt })
      }
    }
    return outcomes
  })
}

/** Only the newest routing job of a complaint counts: an older one was overtaken by a later escalation. */
async function superseded(trx: Trx, timer: TimerRow): Promise<boolean> {
  if (timer.kind !== 'route_escalation') return false
  const newer = await trx
    .selectFrom('timers')
    .select('id')
    .where('complaintId', '=', timer.complaintId)
    .where('kind', '=', 'route_escalation')
    .where('armedSeq', '>', timer.armedSeq)
    .executeTakeFirst()
  return newer !== undefined
}

async function commandFor(trx: Trx, row: ComplaintRow, timer: TimerRow): Promise<Command> {
  const data = { timerId: timer.id, kind: timer.kind, dueAt: timer.dueAt.toISOString() }
  if (timer.kind === 'route_escalation') {
    const choice = await chooseSupervisor(trx, { level: row.escalation?.level ?? 1, team: row.team })
    return {
      event: { type: 'ESCALATION_ROUTED', actor: SYSTEM_ACTOR },
      data: { ...data, assigneeId: choice?.supervisorId ?? null, level: choice?.level ?? null, sameTeam: choice?.sameTeam ?? false },
      project: () => ({ escalation: JSON.stringify({ ...row.escalation!, assigneeId: choice?.supervisorId ?? null }) }),
    }
  }
  const type = EVENT_OF[timer.kind as TimerKind]
  if (type === 'FOLLOW_UP_DUE') {
    const caller = await chooseFollowUpCaller(trx, { resolvedBy: row.resolution?.resolvedBy ?? null, team: row.team })
    return { event: { type, actor: SYSTEM_ACTOR }, data: { ...data, assigneeId: caller }, project: () => (caller ? { assigneeId: caller } : {}) }
  }
  return { event: { type, actor: SYSTEM_ACTOR } as ComplaintEvent, data, project: escalationOpened }
}

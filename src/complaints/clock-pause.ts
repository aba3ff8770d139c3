import type { Decision } from '../../workflows/complaint.machine.js'
import type { Trx } from '../db/database.js'
import type { ClockPause, ComplaintRow, ComplaintUpdate } from '../db/tables.js'
import { clockFor, type ClockSubject } from '../sla/deadline-clock.js'
import type { SlaPolicy } from '../sla/policy.js'
import type { JobKind } from '../timers/jobs.js'
import { timerId } from './timer-rows.js'

/** The deadlines that are the customer's response clock; waiting for the customer stops these only. */
const RESPONSE_CLOCK = ['response', 'response_warning', 'escalation_response']

type Ok = Extract<Decision, { ok: true }>

/**
 * Executes the machine's pauseClock / resumeClock effects. Pausing sets the pending response deadlines aside
 * (cancelled, remembered with the pause); resuming arms them again, each moved by the time spent waiting,
 * counted the way the complaint's deadlines count (business hours or around the clock). Any other way out of
 * the wait (resolved, escalated, closed) simply forgets the pause.
 */
export async function applyClockEffects(
  trx: Trx,
  row: ComplaintRow,
  decision: Ok,
  at: { seq: number; now: Date; policy: SlaPolicy | undefined; subject: ClockSubject },
): Promise<{ armed: { id: string; kind: JobKind; dueAt: Date }[]; patch: Partial<ComplaintUpdate> }> {
  const { now, seq } = at
  if (decision.effects.some((e) => e.type === 'pauseClock')) {
    const pending = await trx
      .updateTable('timers')
      .set({ cancelledAt: now })
      .where('complaintId', '=', row.id)
      .where('kind', 'in', RESPONSE_CLOCK)
      .where('firedAt', 'is', null)
      .where('cancelledAt', 'is', null)
      .returning(['kind', 'dueAt'])
      .execute()
    const pause: ClockPause = { pausedAt: now.toISOString(), deadlines: pending.map((t) => ({ kind: t.kind, dueAt: t.dueAt.toISOString() })) }
    return { armed: [], patch: { clockPaused: JSON.stringify(pause) } }
  }
  if (decision.effects.some((e) => e.type === 'resumeClock') && row.clockPaused) {
    const clock = clockFor(at.policy!, at.subject)
    const pausedAt = new Date(row.clockPaused.pausedAt)
    const armed = row.clockPaused.deadlines.map(({ kind, dueAt }) => ({
      id: timerId(row.id, kind, seq),
      kind: kind as JobKind,
      // What was left of the window when the clock stopped, counted again from now.
      dueAt: clock.addMs(now, clock.elapsed(pausedAt, new Date(dueAt))),
    }))
    if (armed.length > 0) {
      await trx.insertInto('timers').values(armed.map((t) => ({ ...t, complaintId: row.id, armedState: decision.persisted.value, armedSeq: seq }))).execute()
    }
    const response = armed.find((t) => t.kind === 'response')
    return { armed, patch: { clockPaused: JSON.stringify(null), ...(response ? { promisedBy: response.dueAt } : {}) } }
  }
  if (row.clockPaused && decision.persisted.context.awaitingCustomer !== true) {
    return { armed: [], patch: { clockPaused: JSON.stringify(null) } }
  }
  return { armed: [], patch: {} }
}

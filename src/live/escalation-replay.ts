import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { EscalationRecord } from '../db/tables.js'
import { FEED_OVERLAP_MS, FEED_REPLAY_MS, feedId } from './feed.js'
import { liveEventOf, type LiveEvent } from './live-events.js'

/**
 * What the escalation stream announces, by the history type that announces it, with its place among that
 * transition's announcements (the id's last part, as the live push numbers them: src/complaints/after-commit.ts).
 * An unsatisfied follow-up announces the call recorded first, then the escalation.
 */
const ANNOUNCED: Record<string, { type: string; index: number }> = {
  'complaint.escalated': { type: 'complaint.escalated', index: 0 },
  'deadline.response_missed': { type: 'complaint.escalated', index: 0 },
  'deadline.ack_missed': { type: 'complaint.escalated', index: 0 },
  'deadline.triage_missed': { type: 'complaint.escalated', index: 0 },
  'follow_up.recorded': { type: 'complaint.escalated', index: 1 },
  'escalation.assigned': { type: 'escalation.assigned', index: 0 },
  'escalation.acknowledged': { type: 'escalation.acknowledged', index: 0 },
  'deadline.warning': { type: 'deadline.warning', index: 0 },
  'complaint.resolved': { type: 'complaint.resolved', index: 0 },
}

/**
 * The escalation stream's events after `after` (less the overlap, at most a day back), read from the history, for the
 * complaints the supervisor would hear of now: escalated to them, or at or below their level. The escalation's level
 * and assignee are the complaint's now, not at the time (the history does not keep them per row).
 */
export async function replayEscalations(db: Db, user: { id: string; level: number | null }, after: Date, now = new Date()): Promise<LiveEvent[]> {
  const from = new Date(Math.max(after.getTime() - FEED_OVERLAP_MS, now.getTime() - FEED_REPLAY_MS))
  const { rows } = await sql<{ complaintId: string; reference: string; state: string; seq: number; type: string; at: Date; outcome: string | null; escalation: EscalationRecord | null; assigneeId: string | null }>`
    select e.complaint_id as "complaintId", c.reference, c.state, e.seq, e.type, e.at, e.data ->> 'outcome' as outcome,
      c.escalation, c.assignee_id as "assigneeId"
    from complaint_events e
    join complaints c on c.id = e.complaint_id
    where e.at >= ${from} and e.type = any(${Object.keys(ANNOUNCED)}::text[])
      and (c.escalation ->> 'assigneeId' = ${user.id} or (c.escalation ->> 'level')::int <= ${user.level ?? -1})
    order by e.at, e.complaint_id, e.seq
    limit 1000`.execute(db)
  return rows
    .filter((row) => row.type !== 'follow_up.recorded' || row.outcome === 'unsatisfied')
    .map((row) => {
      const announced = ANNOUNCED[row.type]!
      const at = new Date(row.at)
      return liveEventOf(announced.type, row.complaintId, row, at.toISOString(), `${feedId(at, row.complaintId, row.seq)}.${announced.index}`)
    })
}

/** The history instant an escalation stream id names (`<feed id>.<index>`), or null. */
export function escalationIdInstant(id: string): Date | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_[0-9a-f-]{36}_\d{1,9}\.\d{1,3}$/.exec(id)
  if (!match) return null
  const at = new Date(match[1]!)
  return Number.isNaN(at.getTime()) ? null : at
}

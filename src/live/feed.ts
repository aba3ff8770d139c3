import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { HistoryEntry } from '../complaints/transition.js'

/**
 * The agent's own feed (CONTRACT.md, "The agent's own feed"): history rows of these types, each for the people it
 * concerns. The same rule serves the live push (after commit) and the replay from Postgres (Last-Event-ID), so a
 * reconnecting client gets exactly the events it would have seen. Each type is for the holder the row names, every
 * supervisor but the one who asked, or the one who asked.
 */
const AUDIENCE = {
  'deadline.warning': 'holder',
  'deadline.response_missed': 'holder',
  'escalation.assigned': 'holder',
  'follow_up.due': 'holder',
  'promise.extension_requested': 'deciders',
  'promise.extended': 'requester',
  'promise.extension_refused': 'requester',
} as const
type AudienceKind = (typeof AUDIENCE)[keyof typeof AUDIENCE]

export const FEED_TYPES = Object.keys(AUDIENCE) as (keyof typeof AUDIENCE)[]
const typesFor = (kind: AudienceKind) => FEED_TYPES.filter((type) => AUDIENCE[type] === kind)

/** Who an event is for: named people, or every supervisor but one (an extension request: anyone but its requester). */
export interface Audience {
  users: string[]
  supervisorsExcept?: string | null
}

const text = (value: unknown) => (typeof value === 'string' ? value : null)

export function audienceOf(entry: Pick<HistoryEntry, 'type' | 'actorId' | 'data'>): Audience | null {
  const kind = (AUDIENCE as Record<string, AudienceKind>)[entry.type]
  if (kind === 'deciders') return { users: [], supervisorsExcept: entry.actorId }
  const person = kind === 'holder' ? text(entry.data.assigneeId) : kind === 'requester' ? text(entry.data.requestedBy) : null
  return person ? { users: [person] } : null
}

export function concerns(audience: Audience, user: { id: string; role: string }): boolean {
  if (audience.users.includes(user.id)) return true
  return audience.supervisorsExcept !== undefined && user.role === 'supervisor' && audience.supervisorsExcept !== user.id
}

/**
 * An event's id: the instant of its history row (milliseconds, as written), the complaint and the row's seq. Ids
 * order as the rows' instants do, so a replay starts after one; see FEED_OVERLAP_MS for rows that commit late.
 */
export function feedId(at: Date, complaintId: string, seq: number): string {
  return `${at.toISOString()}_${complaintId}_${seq}`
}

const FEED_ID = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f-]{36})_(\d{1,9})$/

export function parseFeedId(id: string): { at: Date; complaintId: string; seq: number } | null {
  const match = FEED_ID.exec(id)
  if (!match) return null
  const at = new Date(match[1]!)
  return Number.isNaN(at.getTime()) ? null : { at, complaintId: match[2]!, seq: Number(match[3]) }
}

/** What a stream sends for each event (`data:`), live or replayed. */
export interface FeedMessage {
  id: string
  type: string
  complaintId: string
  reference: string
  seq: number
  at: string
  /** The complaint's state after the event (replayed: its state now). */
  state: string
  assigneeId: string | null
  /** The deadline's due instant (warnings, missed deadlines, follow-up calls). */
  dueAt: string | null
  /** An extension's new promised time. */
  until: string | null
}

export interface FeedComplaint {
  id: string
  reference: string
  state: string
}

export function feedMessage(complaint: FeedComplaint, entry: HistoryEntry): FeedMessage {
  return {
    id: feedId(entry.at, complaint.id, entry.seq),
    type: entry.type,
    complaintId: complaint.id,
    reference: complaint.reference,
    seq: entry.seq,
    at: entry.at.toISOString(),
    state: complaint.state,
    assigneeId: text(entry.data.assigneeId) ?? text(entry.data.requestedBy),
    dueAt: text(entry.data.dueAt),
    until: text(entry.data.until),
  }
}

/**
 * A transaction that commits a moment after a later one took its instant: a replay reaches this far back before the
 * id it is given, and the client drops the ids it has seen (each event's id is stable).
 */
export const FEED_OVERLAP_MS = 10_000
/** How far back a replay reaches, whatever the id. */
export const FEED_REPLAY_MS = 24 * 3_600_000
const REPLAY_LIMIT = 1_000

/**
 * The events after `after` (less the overlap, at most a day back) that concern the user, oldest first, read from the
 * history. A warning or missed deadline written before the feed existed names no holder: the complaint's assignee.
 */
export async function replayFeed(db: Db, user: { id: string; role: string }, after: Date, now = new Date()): Promise<FeedMessage[]> {
  const from = new Date(Math.max(after.getTime() - FEED_OVERLAP_MS, now.getTime() - FEED_REPLAY_MS))
  // The audience rule above, as a filter Postgres applies (a day of other people's events never leaves it).
  const { rows } = await sql<{ complaintId: string; reference: string; state: string; seq: number; type: string; actorId: string | null; at: Date; data: Record<string, unknown>; holder: string | null }>`
    select e.complaint_id as "complaintId", c.reference, c.state, e.seq, e.type, e.actor_id as "actorId", e.at,
      e.data - 'authority' as data, h.holder
    from complaint_events e
    join complaints c on c.id = e.complaint_id
    cross join lateral (select coalesce(e.data ->> 'assigneeId',
      case when e.type in ('deadline.warning', 'deadline.response_missed') then c.assignee_id::text end) as holder) h
    where e.at >= ${from} and e.type = any(${FEED_TYPES}::text[])
      and (
        (e.type = any(${typesFor('holder')}::text[]) and h.holder = ${user.id})
        or (e.type = any(${typesFor('deciders')}::text[]) and ${user.role} = 'supervisor' and e.actor_id is distinct from ${user.id}::uuid)
        or (e.type = any(${typesFor('requester')}::text[]) and e.data ->> 'requestedBy' = ${user.id})
      )
    order by e.at, e.complaint_id, e.seq
    limit ${REPLAY_LIMIT}`.execute(db)
  return rows.map((row) => feedMessage({ id: row.complaintId, reference: row.reference, state: row.state }, {
    seq: row.seq, type: row.type, actorId: row.actorId, at: new Date(row.at),
    data: row.holder === null ? row.data : { ...row.data, assigneeId: row.holder },
  }))
}

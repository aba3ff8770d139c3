import { CompiledQuery, sql, type Insertable, type InsertObject, type QueryCreator, type RawBuilder } from 'kysely'
import type { Trx } from '../db/database.js'
import type { ComplaintEventsTable, ComplaintRow, ComplaintsTable, ComplaintUpdate, Database, IdempotencyKeysTable } from '../db/tables.js'
import type { OutboxRows } from '../outbox/outbox.js'
import { PENDING_BY_ID_SQL, type TimerInsert } from '../timers/timers.repository.js'
import { jsonb } from '../db/jsonb.js'

export type EventRow = Insertable<ComplaintEventsTable>

/** Everything one transition (or a creation) writes: each table touched once. */
export interface ComplaintWrite {
  complaintId: string
  /** A new complaint's row (creation), or the fields a transition changes. */
  insert?: InsertObject<Database, 'complaints'>
  update?: ComplaintUpdate
  events: EventRow[]
  /**
   * The pending timers the transition cancels at `at`, by id, as it read them under the complaint's lock; `kinds` are
   * what the machine cancelled, which a batch also applies to timers an earlier firing of the batch armed.
   */
  cancel: { kinds: string[]; at: Date; ids: string[] }
  arm: TimerInsert[]
  outbox: OutboxRows
  /** The request's Idempotency-Key, claimed by this same statement. */
  claim?: Insertable<IdempotencyKeysTable>
}

type Creator = QueryCreator<Database>

/**
 * Writes a transition in one statement: the complaint row, its history rows, its timers and its outbox rows, as
 * data-modifying CTEs of the complaint's INSERT or UPDATE. On two cores a statement is a round trip and round trips
 * are what a request costs. The sub-statements share one snapshot, so the timers cancelled are those that existed
 * before the write, never the ones it arms; foreign keys and the history's triggers run at the statement's end,
 * when every row is in place.
 */
export async function writeComplaint(trx: Trx, write: ComplaintWrite, also?: RawBuilder<unknown>): Promise<{ row: ComplaintRow; claimed: boolean; also: unknown }> {
  const id = write.complaintId
  let creator = trx as unknown as Creator
  const add = (name: string, build: (db: Creator) => unknown) => {
    creator = creator.with(name, build as never) as unknown as Creator
  }
  if (write.events.length > 0) add('appended', (db) => db.insertInto('complaintEvents').values(write.events))
  // The timers the transition read under the complaint's lock, by id, as a batch cancels them (writeComplaints).
  if (write.cancel.ids.length > 0) {
    add('cancelled', (db) => db.updateTable('timers').set({ cancelledAt: write.cancel.at })
      .where('id', 'in', write.cancel.ids).where(sql<boolean>`${sql.raw(PENDING_BY_ID_SQL('timers'))}`))
  }
  if (write.arm.length > 0) add('armed', (db) => db.insertInto('timers').values(write.arm))
  if (write.outbox.events.length > 0) add('announced', (db) => db.insertInto('webhookEvents').values(write.outbox.events))
  if (write.outbox.deliveries.length > 0) add('addressed', (db) => db.insertInto('webhookDeliveries').values(write.outbox.deliveries))
  if (write.outbox.notifications.length > 0) add('notified', (db) => db.insertInto('notifications').values(write.outbox.notifications))
  if (write.claim) {
    const claim = write.claim
    add('claimed', (db) => db.insertInto('idempotencyKeys').values(claim).onConflict((oc) => oc.doNothing()).returning('key'))
  }
  const claimed = write.claim ? sql<number>`(select count(*) from claimed)::int` : sql<number>`1`
  // A read the caller rides on this statement (the intake's incident suggestions) instead of a round trip of its own.
  const returned = also ? [claimed.as('claimedKeys'), also.as('alsoRead')] : [claimed.as('claimedKeys')]
  const statement = write.insert
    ? creator.insertInto('complaints').values(write.insert).returningAll().returning(returned as [typeof returned[0]])
    : creator.updateTable('complaints').set(write.update!).where('id', '=', id).returningAll().returning(returned as [typeof returned[0]])
  const { claimedKeys, ...row } = await statement.executeTakeFirstOrThrow()
  const { alsoRead, ...complaint } = row as typeof row & { alsoRead?: unknown }
  return { row: complaint as ComplaintRow, claimed: claimedKeys > 0, also: alsoRead }
}

/** Every column a transition may change, with its SQL type: a column added to the table must be added here. */
export const COMPLAINT_COLUMNS: Record<Exclude<keyof ComplaintsTable, 'id'>, string> = {
  reference: 'text', state: 'text', channel: 'text', customerId: 'uuid', category: 'text', severity: 'text',
  summary: 'text', description: 'text', product: 'text', region: 'text', team: 'text', assigneeId: 'uuid',
  promisedBy: 'timestamptz', originalPromisedBy: 'timestamptz', extension: 'jsonb', escalation: 'jsonb', resolution: 'jsonb', followUp: 'jsonb', closeReason: 'text',
  customerTier: 'text', clockPaused: 'jsonb', possibleDuplicateOf: 'uuid', transfer: 'jsonb', repeatOf: 'uuid', incidentId: 'uuid', createdBy: 'uuid', integrationId: 'uuid',
  externalRef: 'text', machineVersion: 'text', machineSnapshot: 'jsonb', version: 'integer', createdAt: 'timestamptz',
  updatedAt: 'timestamptz', closedAt: 'timestamptz',
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/**
 * The batch's statement. Its text is the same for every batch (the rows travel as JSON parameters), so each
 * connection prepares and plans it once. A patch names the fields it sets; the others keep their value. A patch's
 * value goes through `->>` and a cast, as a parameter would: a jsonb field given as JSON text (`'null'`) is jsonb.
 * The cancels also name their ids as an array (`t.id = any(...)`), which the primary key answers: joined only to the
 * recordset, the plan that a connection cached while `timers` was small (its first executions, at a worker's start)
 * hashed a sequential scan of the table and kept it as the table grew (bench/RESULTS.md, issue 12). With nothing to
 * cancel (most batches) the one-time `jsonb_array_length` test skips the cancel whatever its plan.
 */
const WRITE_COMPLAINTS = `
with appended as (
  insert into complaint_events (complaint_id, seq, type, actor_id, actor_role, at, data)
  select e.complaint_id, e.seq, e.type, e.actor_id, e.actor_role, coalesce(e.at, now()), e.data::jsonb
  from jsonb_to_recordset($2::jsonb) as e(complaint_id uuid, seq integer, type text, actor_id uuid, actor_role text, at timestamptz, data text)
), cancelled as (
  update timers t set cancelled_at = x.at
  from jsonb_to_recordset($3::jsonb) as x(id text, at timestamptz)
  where jsonb_array_length($3::jsonb) > 0 and t.id = x.id and t.id = any(array(select c.id from jsonb_to_recordset($3::jsonb) as c(id text)))
    and ${PENDING_BY_ID_SQL('t')}
), armed as (
  insert into timers (id, complaint_id, kind, due_at, armed_state, armed_seq, queued, job_id, fired_at, cancelled_at)
  select a.id, a.complaint_id, a.kind, a.due_at, a.armed_state, a.armed_seq, a.queued, a.job_id, a.fired_at, a.cancelled_at
  from jsonb_to_recordset($4::jsonb) as a(id text, complaint_id uuid, kind text, due_at timestamptz, armed_state text,
    armed_seq integer, queued boolean, job_id text, fired_at timestamptz, cancelled_at timestamptz)
), announced as (
  insert into webhook_events (id, complaint_id, seq, seq_index, type, payload, created_at, traceparent, tracestate)
  select w.id, w.complaint_id, w.seq, w.seq_index, w.type, w.payload, coalesce(w.created_at, now()), w.traceparent, w.tracestate
  from jsonb_to_recordset($5::jsonb) as w(id uuid, complaint_id uuid, seq integer, seq_index smallint, type text, payload text, created_at timestamptz,
    traceparent text, tracestate text)
), addressed as (
  insert into webhook_deliveries (id, event_id, endpoint_id, complaint_id, seq, seq_index)
  select d.id, d.event_id, d.endpoint_id, d.complaint_id, d.seq, d.seq_index
  from jsonb_to_recordset($6::jsonb) as d(id uuid, event_id uuid, endpoint_id uuid, complaint_id uuid, seq integer, seq_index smallint)
), notified as (
  insert into notifications (id, complaint_id, seq, kind, channel, recipient, language, subject, body, next_attempt_at, retry_since, created_at, updated_at)
  select n.id, n.complaint_id, n.seq, n.kind, n.channel, n.recipient, n.language, n.subject, n.body, n.at, n.at, n.at, n.at
  from jsonb_to_recordset($7::jsonb) as n(id uuid, complaint_id uuid, seq integer, kind text, channel text, recipient text,
    language text, subject text, body text, at timestamptz)
)
update complaints c set
  ${Object.entries(COMPLAINT_COLUMNS).map(([key, type]) =>
    `${snake(key)} = case when v.patch ? '${key}' then (v.patch ->> '${key}')::${type} else c.${snake(key)} end`).join(',\n  ')}
from jsonb_to_recordset($1::jsonb) as v(id uuid, patch jsonb)
where c.id = v.id
returning c.id`

/**
 * Writes the transitions of many complaints (a timer batch) in one statement, in the order given; a complaint may
 * have several. Its row is updated once with their patches applied in order. Within one statement a cancel sees only
 * the timers that existed before it: a timer armed by an earlier transition of the batch and cancelled by a later
 * one is inserted already cancelled, as it would stand had each transition been a statement of its own.
 */
export async function writeComplaints(trx: Trx, writes: ComplaintWrite[]): Promise<void> {
  if (writes.length === 0) return
  const patches = new Map<string, Record<string, unknown>>()
  const events: unknown[] = []
  // By id, each a probe of the primary key: by complaint and kind, on a table never analysed, the planner hashed every
  // pending timer (25 ms a batch at 19,000 pending timers).
  const cancels = new Map<string, { id: string; at: Date }>()
  type Armed = TimerInsert & { cancelledAt?: Date | string | null }
  const armed: Armed[] = []
  // The timers armed so far, by complaint: a later transition's cancels look at its own complaint's only (scanning
  // every armed timer of the batch made a batch's planning grow with the square of its size).
  const armedOf = new Map<string, Armed[]>()
  const announced: unknown[] = []
  const addressed: unknown[] = []
  const notified: unknown[] = []
  for (const write of writes) {
    if (write.insert || write.claim || !write.update) throw new Error('writeComplaints writes transitions of existing complaints only')
    const id = write.complaintId
    const patch: Record<string, unknown> = patches.get(id) ?? {}
    for (const [key, value] of Object.entries(write.update)) {
      if (!Object.hasOwn(COMPLAINT_COLUMNS, key)) throw new Error(`writeComplaints cannot set complaints.${key}`)
      if (value !== undefined) patch[key] = value
    }
    patches.set(id, patch)
    for (const timerId of write.cancel.ids) if (!cancels.has(timerId)) cancels.set(timerId, { id: timerId, at: write.cancel.at })
    for (const timer of armedOf.get(id) ?? []) {
      if (write.cancel.kinds.includes(timer.kind) && !timer.cancelledAt && !timer.firedAt) timer.cancelledAt = write.cancel.at
    }
    for (const timer of write.arm) {
      const copy = { ...timer }
      armed.push(copy)
      const own = armedOf.get(copy.complaintId)
      if (own) own.push(copy)
      else armedOf.set(copy.complaintId, [copy])
    }
    for (const e of write.events) {
      events.push({ complaint_id: e.complaintId, seq: e.seq, type: e.type, actor_id: e.actorId ?? null, actor_role: e.actorRole, at: e.at, data: e.data })
    }
    for (const e of write.outbox.events) {
      announced.push({ id: e.id, complaint_id: e.complaintId, seq: e.seq, seq_index: e.seqIndex, type: e.type, payload: e.payload, created_at: e.createdAt,
        ...(e.traceparent ? { traceparent: e.traceparent, tracestate: e.tracestate } : {}) })
    }
    for (const d of write.outbox.deliveries) {
      addressed.push({ id: d.id, event_id: d.eventId, endpoint_id: d.endpointId, complaint_id: d.complaintId, seq: d.seq, seq_index: d.seqIndex })
    }
    for (const n of write.outbox.notifications) {
      notified.push({ id: n.id, complaint_id: n.complaintId, seq: n.seq, kind: n.kind, channel: n.channel, recipient: n.recipient,
        language: n.language, subject: n.subject ?? null, body: n.body, at: n.createdAt })
    }
  }
  const timers = armed.map((t) => ({
    id: t.id, complaint_id: t.complaintId, kind: t.kind, due_at: t.dueAt, armed_state: t.armedState, armed_seq: t.armedSeq,
    queued: t.queued ?? true, job_id: t.jobId ?? null, fired_at: t.firedAt ?? null, cancelled_at: t.cancelledAt ?? null,
  }))
  const { rows } = await trx.executeQuery(CompiledQuery.raw(WRITE_COMPLAINTS, [
    jsonb([...patches].map(([id, patch]) => ({ id, patch }))),
    jsonb(events),
    jsonb([...cancels.values()]),
    jsonb(timers),
    jsonb(announced),
    jsonb(addressed),
    jsonb(notified),
  ]))
  if (rows.length !== patches.size) throw new Error(`writeComplaints updated ${rows.length} of ${patches.size} complaints`)
}

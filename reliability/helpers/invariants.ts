// What must hold after every fault: nothing acknowledged is lost, every deadline fired exactly once, and every
// complaint's history replays through the pure machine to the state stored on its row.
import type { Test } from 'tap'
import {
  machineEventType, replay, type Actor, type ComplaintEvent, type PersistedMachine, type Role,
} from '../../workflows/complaint.machine.js'
import { until } from './cluster.js'
import type { Stack } from './stack.js'

interface EventRow {
  complaint_id: string
  seq: number
  type: string
  actor_id: string | null
  actor_role: string
  data: Record<string, unknown>
}

/** Rebuilds the machine event a history row records: its type, its actor's authority then, and its payload. */
export function machineEvent(row: EventRow): ComplaintEvent {
  const type = machineEventType(row.type)
  if (!type) throw new Error(`seq ${row.seq}: history type ${row.type} is no machine event`)
  const authority = (row.data.authority ?? {}) as { level?: number | null; compensationLimit?: number | string | null }
  const limit = authority.compensationLimit
  const actor: Actor = {
    id: row.actor_id,
    role: row.actor_role as Role,
    level: authority.level ?? null,
    compensationLimit: limit === null || limit === undefined ? null : Number(limit),
  }
  switch (type) {
    case 'RESOLVE': {
      const amount = (row.data.compensation as { amount?: number | string | null } | null | undefined)?.amount
      return { type, actor, amount: amount === null || amount === undefined ? null : Number(amount) }
    }
    case 'ESCALATE':
      return { type, actor, reason: String(row.data.reason ?? '') }
    case 'FOLLOW_UP':
      return { type, actor, outcome: row.data.outcome as 'satisfied' }
    default:
      return { type, actor } as ComplaintEvent
  }
}

export interface InvariantReport {
  complaints: number
  events: number
  timersFired: number
  acked: number
}

/** Every complaint a 2xx acknowledged exists, at the version acknowledged or later. */
export async function checkAcknowledged(t: Test, stack: Stack, acked: Map<string, number>): Promise<void> {
  const ids = [...acked.keys()]
  const rows = await stack.query<{ id: string; version: number }>('select id, version from complaints where id = any($1::uuid[])', [ids])
  const found = new Map(rows.map((r) => [r.id, r.version]))
  const missing = ids.filter((id) => !found.has(id))
  const behind = ids.filter((id) => found.has(id) && found.get(id)! < acked.get(id)!)
  t.same(missing, [], `every one of the ${ids.length} 2xx-acknowledged complaints exists`)
  t.same(behind, [], 'no complaint is at a version below the one a 2xx acknowledged')
}

/** Waits until no due timer is left pending, then checks that none fired twice. */
export async function checkDeadlines(t: Test, stack: Stack, waitMs: number): Promise<number> {
  const pendingDue = async () => (await stack.query<{ n: number }>(
    `select count(*)::int as n from timers where fired_at is null and cancelled_at is null and due_at < now() - interval '1 second'`))[0]!.n
  try {
    await until(async () => (await pendingDue()) === 0, waitMs, 'every due timer to fire', 250)
  } catch {
    // Reported below with the timers themselves.
  }
  const late = await stack.query<{ id: string; kind: string; due_at: Date }>(
    `select id, kind, due_at from timers where fired_at is null and cancelled_at is null and due_at < now() - interval '1 second' limit 10`)
  t.same(late, [], 'every timer that fell due has fired (none is lost)')
  const twice = await stack.query<{ timer: string; n: number }>(
    `select data ->> 'timerId' as timer, count(*)::int as n from complaint_events where data ? 'timerId' group by 1 having count(*) > 1 limit 10`)
  t.same(twice, [], 'no timer has more than one history event (each fired exactly once)')
  return (await stack.query<{ n: number }>('select count(*)::int as n from timers where fired_at is not null'))[0]!.n
}

/** Every history is contiguous from seq 1 to the row's version and replays to the stored state and snapshot. */
export async function checkHistories(t: Test, stack: Stack): Promise<{ complaints: number; events: number }> {
  // One snapshot: a deadline the worker fires between two plain reads showed a history one event ahead of its row.
  const { complaints, events } = await stack.snapshot(async (query) => ({
    complaints: await query<{ id: string; state: string; version: number; machine_snapshot: PersistedMachine }>(
      'select id, state, version, machine_snapshot from complaints'),
    events: await query<EventRow>(
      'select complaint_id, seq, type, actor_id, actor_role, data from complaint_events order by complaint_id, seq'),
  }))
  const byComplaint = new Map<string, EventRow[]>()
  for (const e of events) {
    const list = byComplaint.get(e.complaint_id) ?? []
    list.push(e)
    byComplaint.set(e.complaint_id, list)
  }
  const problems: string[] = []
  for (const c of complaints) {
    const history = byComplaint.get(c.id) ?? []
    const seqs = history.map((e) => e.seq)
    if (seqs.length !== c.version || seqs.some((s, i) => s !== i + 1)) {
      problems.push(`${c.id}: seqs ${seqs.join(',')} for version ${c.version}`)
      continue
    }
    if (history[0]?.type !== 'complaint.received') {
      problems.push(`${c.id}: the history starts with ${history[0]?.type}`)
      continue
    }
    if (c.state !== c.machine_snapshot.value) problems.push(`${c.id}: state ${c.state} but snapshot ${c.machine_snapshot.value}`)
    const { maxLevel, followUpMaxAttempts, followUpBy } = c.machine_snapshot.context
    try {
      const replayed = replay({ maxLevel, followUpMaxAttempts, ...(followUpBy ? { followUpBy } : {}) }, history.slice(1).map(machineEvent))
      const stored = { value: c.machine_snapshot.value, context: { awaitingCustomer: false, ...c.machine_snapshot.context } }
      const reached = { value: replayed.value, context: { awaitingCustomer: false, ...replayed.context } }
      if (JSON.stringify(sortKeys(reached)) !== JSON.stringify(sortKeys(stored))) {
        problems.push(`${c.id}: replays to ${JSON.stringify(reached)}, stored ${JSON.stringify(stored)}`)
      }
    } catch (error) {
      problems.push(`${c.id}: ${(error as Error).message}`)
    }
  }
  t.same(problems.slice(0, 10), [], `every one of ${complaints.length} histories (${events.length} events) is contiguous and replays to its stored state (${problems.length} do not)`)
  return { complaints: complaints.length, events: events.length }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]))
  }
  return value
}

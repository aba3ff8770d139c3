import { sql } from 'kysely'
import { lockComplaints } from '../complaints/complaint.repository.js'
import { writeComplaints } from '../complaints/writer.js'
import type { Db } from '../db/database.js'
import { inFlightRouting, readWorkloads, type Workloads } from '../escalations/router.js'
import { cachesOf } from '../cache/caches.js'
import { complaintOfTimer } from '../complaints/timer-rows.js'
import { notifyContext } from '../notifications/context.js'
import type { NotifySettings } from '../notifications/settings.js'
import { PENDING_BY_ID_SQL } from './timers.repository.js'
import { planFirings, routingNeeds, type ClaimedTimer, type FireResult } from './fire-batch.js'

export { SYSTEM_ACTOR, type FireOutcome, type FireResult } from './fire-batch.js'

/**
 * One batch's phases, in ms from its start (`at`, epoch ms): the timer benchmark's batch trace (bench/timers.ts, off
 * unless a sink is set). `routing` is when the batch asked for the workloads, `routed` when it held the routing lock
 * (the code before issue 12's last step took one, held to commit; none now), `loaded` when it had read the loads;
 * absent when the batch routes nothing.
 */
export interface BatchTrace {
  at: number
  timers: number
  begun: number
  locked: number
  claimed: number
  routing?: number
  routed?: number
  loaded?: number
  planned: number
  written: number
  committed: number
}

let traceSink: ((trace: BatchTrace) => void) | undefined

/** Times every batch's phases from now on and hands them to `sink` (undefined: stop). For the benchmark. */
export function traceBatches(sink: ((trace: BatchTrace) => void) | undefined): void {
  traceSink = sink
}

/** Fires one timer at most once in effect (see fireTimers). */
export async function fireTimer(db: Db, timerId: string, now = new Date(), horizonMs?: number): Promise<FireResult> {
  return (await fireTimers(db, [timerId], now, horizonMs)).get(timerId)!
}

/**
 * Fires a batch of timers, each at most once in effect, in one transaction of a few statements whatever its size.
 * The complaints are locked first, in id order (every transition locks its complaint before touching timers, so a
 * batch never deadlocks with an API action or another batch), then the rows are claimed with a conditional update:
 * a duplicate, retried or cancelled job finds nothing to claim and does nothing. A batch that routes then reads the
 * workloads (no lock: batches that route at once do not take turns, see readWorkloads); every transition is planned
 * in memory and all are written by one statement.
 */
export async function fireTimers(
  db: Db, timerIds: string[], now = new Date(), horizonMs?: number, notify?: NotifySettings,
): Promise<Map<string, FireResult>> {
  const outcomes = new Map<string, FireResult>(timerIds.map((id) => [id, { outcome: 'not_pending', results: [] }]))
  if (timerIds.length === 0) return outcomes
  // From memory, before the transaction takes its connection (a read inside it would need a second one).
  const caches = cachesOf(db)
  const [{ policy }, endpoints, notifying] = await Promise.all([caches.policy(), caches.endpoints(), notifyContext(db, notify)])
  const started = performance.now()
  const trace: Partial<BatchTrace> | undefined = traceSink && { at: Date.now(), timers: timerIds.length }
  const mark = (phase: Exclude<keyof BatchTrace, 'at' | 'timers'>) => trace && (trace[phase] = performance.now() - started)
  let workloads: Workloads | undefined
  const fired = await db.transaction().execute(async (trx) => {
    mark('begun')
    // A timer's id names its complaint: the batch locks the complaints before it reads a timer row.
    const ids = [...new Set(timerIds.map(complaintOfTimer).filter((id): id is string => id !== undefined))]
    const locked = await lockComplaints(trx, ids)
    mark('locked')
    if (locked.length === 0) return outcomes
    // Only the newest routing job of a complaint counts: an older one was overtaken by a later escalation.
    const claimed: ClaimedTimer[] = await trx
      .updateTable('timers')
      .set({ firedAt: now })
      // One array, not an `in` list: the same statement text, prepared once, whatever the batch's size.
      .where(sql<boolean>`timers.id = any(${timerIds}::text[]) and ${sql.raw(PENDING_BY_ID_SQL('timers'))}`)
      .returningAll()
      .returning(sql<boolean>`timers.kind = 'route_escalation' and exists (select 1 from timers newer
        where newer.complaint_id = timers.complaint_id and newer.kind = 'route_escalation' and newer.armed_seq > timers.armed_seq)`
        .as('superseded'))
      .execute()
    mark('claimed')
    if (claimed.length === 0) return outcomes
    const needs = routingNeeds(claimed)
    if (needs.escalations || needs.followUps) mark('routing')
    workloads = await readWorkloads(trx, needs, inFlightRouting(db))
    if (needs.escalations || needs.followUps) mark('loaded')
    const batch = await planFirings(claimed, locked, workloads, { now, policy, endpoints, horizonMs, notify: notifying })
    mark('planned')
    await writeComplaints(trx, batch.writes)
    mark('written')
    for (const [id, result] of batch.outcomes) outcomes.set(id, result)
    return outcomes
  }).then((answer) => (workloads?.settled(true), answer), (error: unknown) => {
    workloads?.settled(false)
    throw error
  })
  if (trace?.claimed !== undefined) {
    mark('committed')
    traceSink?.(trace as BatchTrace)
  }
  return fired
}

import { sql } from 'kysely'
import type { Db, Trx } from '../db/database.js'
import type { EndpointDisabledReason } from '../db/tables.js'

export interface ClaimedDelivery {
  id: string
  eventId: string
  endpointId: string
  /** Null for an admin's ping, which waits in no complaint's line. */
  complaintId: string | null
  attempts: number
  retrySince: Date
  payload: string
  url: string
  secret: string
  /** The trace context its event was written in (migration 0033), null when tracing was off. */
  traceparent: string | null
  tracestate: string | null
}

// Not before its time (a little early is fine: app and database clocks differ), not while another worker holds its
// lease, and only at the head of its line: no earlier event of the same complaint is pending for the same endpoint.
const CLAIMABLE = sql`d.status = 'pending' and d.next_attempt_at <= now() + interval '2 seconds'
  and (d.lease_until is null or d.lease_until < now())
  and exists (select 1 from webhook_endpoints ep where ep.id = d.endpoint_id and ep.active and ep.deleted_at is null)
  and not exists (
    select 1 from webhook_deliveries p
    where p.endpoint_id = d.endpoint_id and p.complaint_id = d.complaint_id and p.status = 'pending'
      and (p.seq, p.seq_index) < (d.seq, d.seq_index))`

/**
 * Takes a delivery for one attempt: counts the attempt, opens its row in webhook_attempts and leases the delivery
 * to this worker for `leaseMs`. Two workers racing for one delivery: the row lock makes the second re-check the
 * lease it just lost, so only one claims it. A worker killed after this leaves the lease to run out; the sweep then
 * hands the delivery out again.
 */
export async function claimDelivery(db: Db, id: string, leaseMs: number): Promise<ClaimedDelivery | undefined> {
  const { rows } = await sql<ClaimedDelivery>`
    with claimed as (
      update webhook_deliveries d
      set attempts = d.attempts + 1, lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
      where d.id = ${id} and ${CLAIMABLE}
      returning d.id, d.event_id, d.endpoint_id, d.complaint_id, d.attempts, d.retry_since
    ), attempt as (
      insert into webhook_attempts (delivery_id, n) select id, attempts from claimed
    )
    select c.*, e.payload, e.traceparent, e.tracestate, ep.url, ep.secret
    from claimed c join webhook_events e on e.id = c.event_id join webhook_endpoints ep on ep.id = c.endpoint_id`.execute(db)
  return rows[0]
}

/** Due deliveries nobody is working on, at the head of their line, in id order after `after`. */
export async function findClaimable(db: Db, after: string, limit: number): Promise<{ id: string; attempts: number; failing: boolean }[]> {
  const { rows } = await sql<{ id: string; attempts: number; failing: boolean }>`
    select d.id, d.attempts,
      (select ep.consecutive_failures > 0 from webhook_endpoints ep where ep.id = d.endpoint_id) as failing
    from webhook_deliveries d
    where d.next_attempt_at <= now() and d.id > ${after}::uuid and ${CLAIMABLE}
    order by d.id limit ${limit}`.execute(db)
  return rows
}

/** The delivery that may go next on the line of `delivery` (same endpoint, same complaint); a ping has no line. */
export async function nextInLine(db: Db, delivery: { endpointId: string; complaintId: string | null }) {
  if (delivery.complaintId === null) return undefined
  return db
    .selectFrom('webhookDeliveries')
    .select(['id', 'attempts', 'nextAttemptAt'])
    .where('endpointId', '=', delivery.endpointId)
    .where('complaintId', '=', delivery.complaintId)
    .where('status', '=', 'pending')
    .orderBy('seq')
    .orderBy('seqIndex')
    .limit(1)
    .executeTakeFirst()
}

/** Stops an endpoint: it takes no new events, and what was pending for it is cancelled (it can be replayed). */
export async function disableEndpoint(trx: Trx, endpointId: string, reason: EndpointDisabledReason, now: Date): Promise<void> {
  await trx
    .updateTable('webhookEndpoints')
    .set({ active: false, disabledReason: reason, disabledAt: now, updatedAt: now })
    .where('id', '=', endpointId)
    .execute()
  await cancelPending(trx, endpointId, now)
}

export async function cancelPending(trx: Trx | Db, endpointId: string, now: Date): Promise<void> {
  await trx
    .updateTable('webhookDeliveries')
    .set({ status: 'cancelled', finishedAt: now, leaseUntil: null, updatedAt: now })
    .where('endpointId', '=', endpointId)
    .where('status', '=', 'pending')
    .execute()
}

/** Pending deliveries of endpoints that were disabled while their event was being written. */
export async function cancelOrphans(db: Db): Promise<number> {
  const result = await sql`
    update webhook_deliveries d set status = 'cancelled', finished_at = now(), lease_until = null, updated_at = now()
    from webhook_endpoints ep
    where ep.id = d.endpoint_id and d.status = 'pending' and (not ep.active or ep.deleted_at is not null)`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}

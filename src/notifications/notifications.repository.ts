import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { NotificationRow } from '../db/tables.js'

export type ClaimedNotification = Pick<NotificationRow,
  'id' | 'complaintId' | 'kind' | 'channel' | 'recipient' | 'subject' | 'body' | 'attempts' | 'retrySince'>

// As a webhook delivery (src/webhooks/deliveries.repository.ts): due (a little early is fine: clocks differ), and not
// held by another worker's lease. Messages of one complaint need no order: each stands alone.
const CLAIMABLE = sql`n.status = 'pending' and n.next_attempt_at <= now() + interval '2 seconds'
  and (n.lease_until is null or n.lease_until < now())`

/**
 * Takes a message for one attempt: counts it and leases it to this worker for `leaseMs`. A worker killed after this
 * leaves the lease to run out; the sweep then hands the message out again, under the same id.
 */
export async function claimNotification(db: Db, id: string, leaseMs: number): Promise<ClaimedNotification | undefined> {
  const { rows } = await sql<ClaimedNotification>`
    update notifications n
    set attempts = n.attempts + 1, lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    where n.id = ${id} and ${CLAIMABLE}
    returning n.id, n.complaint_id, n.kind, n.channel, n.recipient, n.subject, n.body, n.attempts, n.retry_since`.execute(db)
  return rows[0]
}

/**
 * The loader's take: new messages (never attempted) that are due, nobody holds and no loader handed out in the last
 * `requeueAfterMs` (their job may still wait its turn), marked as handed out now, soonest first. Retries are not
 * its business: the worker enqueues each retry when it records the failure, and the sweep repairs a lost one.
 */
export async function takeNewNotifications(db: Db, limit: number, requeueAfterMs: number): Promise<{ id: string; attempts: number }[]> {
  const { rows } = await sql<{ id: string; attempts: number }>`
    update notifications n set queued_at = now()
    where n.id in (
      select n.id from notifications n
      where ${CLAIMABLE} and n.attempts = 0
        and (n.queued_at is null or n.queued_at < now() - make_interval(secs => ${requeueAfterMs / 1000}))
      order by n.next_attempt_at
      limit ${limit}
      for update skip locked)
    returning n.id, n.attempts`.execute(db)
  return rows
}

/** Due messages nobody holds, in id order after `after` (the sweep). */
export async function findClaimableNotifications(db: Db, after: string, limit: number): Promise<{ id: string; attempts: number }[]> {
  const { rows } = await sql<{ id: string; attempts: number }>`
    select n.id, n.attempts from notifications n
    where n.next_attempt_at <= now() and n.id > ${after}::uuid and ${CLAIMABLE}
    order by n.id limit ${limit}`.execute(db)
  return rows
}

/**
 * Records an attempt's end. `attempts` guards against a worker whose lease ran out while it sent: the message is
 * another worker's now, and that one records it.
 */
export async function settleNotification(
  db: Db,
  claimed: Pick<ClaimedNotification, 'id' | 'attempts'>,
  patch: { status: 'sent' | 'failed'; lastError: string | null } | { nextAttemptAt: Date; lastError: string },
): Promise<void> {
  const now = new Date()
  await db.updateTable('notifications')
    .set({ ...patch, ...('status' in patch && patch.status === 'sent' ? { sentAt: now } : {}), leaseUntil: null, updatedAt: now })
    .where('id', '=', claimed.id)
    .where('attempts', '=', claimed.attempts)
    .where('status', '=', 'pending')
    .execute()
}

import { sql } from 'kysely'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { refreshReportFacts } from '../reports/facts-refresh.js'
import { refreshReportDays } from '../reports/summary.js'
import { startLockedLoop } from '../timers/locked-loop.js'

export interface HousekeepingReport {
  idempotencyKeysDeleted: number
  webhookDeliveriesDeleted: number
  notificationsDeleted: number
  /** Notes of changed complaints whose report rows were rebuilt (the worker's report loop does this every second). */
  reportNotesTaken: number
  reportDaysRebuilt: number
}

export interface HousekeepingSettings {
  idempotencyKeyRetentionMs: number
  webhookDeliveryRetentionMs: number
  now?: Date
}

const DELETE_BATCH = 5_000

/** Runs `step` (which deletes up to `batch` rows) until a step comes back short; answers the rows deleted. */
async function deleteInBatches(batch: number, step: () => Promise<number>): Promise<number> {
  let deleted = 0
  for (;;) {
    const n = await step()
    deleted += n
    if (n < batch) return deleted
  }
}

/**
 * Forgets idempotency keys (REST `Idempotency-Key` and webhook `webhook-id`) older than `cutoff`, in short
 * transactions of a few thousand rows so intake never waits long on them. A key reused after this answers as new.
 */
export async function purgeIdempotencyKeys(db: Db, cutoff: Date, batch = DELETE_BATCH): Promise<number> {
  return deleteInBatches(batch, async () => {
    const result = await sql`
      delete from idempotency_keys where ctid = any (array(
        select ctid from idempotency_keys where created_at < ${cutoff} order by created_at limit ${batch}
      ))`.execute(db)
    return Number(result.numAffectedRows ?? 0)
  })
}

/**
 * Forgets outbound deliveries settled (delivered, failed or cancelled) before `cutoff`, with their attempts, and
 * the events no delivery refers to any more. Pending deliveries are never touched, however old.
 */
export async function purgeWebhookDeliveries(db: Db, cutoff: Date, batch = DELETE_BATCH): Promise<number> {
  return deleteInBatches(batch, async () => {
    // One statement per batch: its parts share one snapshot, so the last one must not count the doomed rows as
    // still referring to their event.
    const { rows } = await sql<{ n: string }>`
      with doomed as (
        select id, event_id from webhook_deliveries
        where status <> 'pending' and finished_at < ${cutoff} order by finished_at limit ${batch}
      ), attempts as (
        delete from webhook_attempts where delivery_id in (select id from doomed)
      ), deliveries as (
        delete from webhook_deliveries where id in (select id from doomed) returning event_id
      ), events as (
        delete from webhook_events e where e.id in (select event_id from deliveries)
          and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.id not in (select id from doomed))
      )
      select count(*) as n from deliveries`.execute(db)
    return Number(rows[0]?.n ?? 0)
  })
}

/** Forgets messages to customers settled (sent or failed) before `cutoff`; pending ones are never touched. */
export async function purgeNotifications(db: Db, cutoff: Date, batch = DELETE_BATCH): Promise<number> {
  return deleteInBatches(batch, async () => {
    const result = await sql`
      delete from notifications where id = any (array(
        select id from notifications where status <> 'pending' and updated_at < ${cutoff} order by updated_at limit ${batch}
      ))`.execute(db)
    return Number(result.numAffectedRows ?? 0)
  })
}

/** One round: old idempotency keys, settled deliveries and messages go, and dirty report days are rebuilt (the fast path). */
export async function housekeep(db: Db, settings: HousekeepingSettings): Promise<HousekeepingReport> {
  const now = (settings.now ?? new Date()).getTime()
  const idempotencyKeysDeleted = await purgeIdempotencyKeys(db, new Date(now - settings.idempotencyKeyRetentionMs))
  const webhookDeliveriesDeleted = await purgeWebhookDeliveries(db, new Date(now - settings.webhookDeliveryRetentionMs))
  // Messages to customers are kept as long as webhook deliveries: both are the outbox's record of what went out.
  const notificationsDeleted = await purgeNotifications(db, new Date(now - settings.webhookDeliveryRetentionMs))
  // The report rows first: rebuilding them notes their days dirty, and the days are then rebuilt with them.
  const reportNotesTaken = await refreshReportFacts(db)
  const reportDaysRebuilt = await refreshReportDays(db)
  return { idempotencyKeysDeleted, webhookDeliveriesDeleted, notificationsDeleted, reportNotesTaken, reportDaysRebuilt }
}

/** Housekeeps at worker start and every `everyMs`; with several workers, a Redis lock lets one of them do each round. */
export function startHousekeepingLoop(options: HousekeepingSettings & {
  db: Db
  redis: Redis
  prefix: string
  everyMs: number
  logger: Logger
}) {
  const { db, logger } = options
  return startLockedLoop({
    ...options,
    name: 'housekeeping round',
    lockKey: `${options.prefix}:housekeeping-lock`,
    round: async () => {
      const report = await housekeep(db, options)
      logger[Object.values(report).some((n) => n > 0) ? 'info' : 'debug'](report, 'housekept')
    },
  })
}

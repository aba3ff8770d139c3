import { randomUUID } from 'node:crypto'
import type { Db } from '../db/database.js'

/** The event type of an admin's ping: not a complaint event, so no endpoint subscribes to it; it goes where it is sent. */
export const PING = 'ping'

/** Writes a ping event and its one delivery, in one transaction; answers the delivery's id. */
export async function insertPing(db: Db, endpointId: string, at: Date): Promise<string> {
  const eventId = randomUUID()
  const deliveryId = randomUUID()
  const payload = JSON.stringify({ type: PING, timestamp: at.toISOString(), data: { endpointId } })
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('webhookEvents').values({ id: eventId, complaintId: null, seq: 0, seqIndex: 0, type: PING, payload, createdAt: at }).execute()
    await trx.insertInto('webhookDeliveries').values({ id: deliveryId, eventId, endpointId, complaintId: null, seq: 0, seqIndex: 0, nextAttemptAt: at, retrySince: at }).execute()
  })
  return deliveryId
}

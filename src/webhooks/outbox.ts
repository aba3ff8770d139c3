import { randomUUID } from 'node:crypto'
import type { Effect } from '../../workflows/complaint.machine.js'
import type { Trx } from '../db/database.js'
import type { ComplaintRow } from '../db/tables.js'
import type { ActiveEndpoint } from './endpoints.repository.js'
import { eventPayload } from './events.js'

export interface OutboxInput {
  complaint: ComplaintRow
  seq: number
  historyType: string
  effects: Effect[]
  at: Date
  /**
   * The endpoints that take events, read before the transaction began (`cachesOf(db).endpoints()`, src/cache/): a
   * read inside it would need a second connection while holding one. Without them, read in `trx`, once per transaction.
   */
  endpoints?: readonly ActiveEndpoint[]
}

/**
 * Writes the outbound webhook events of one transition, in its transaction: one event row per `notify` effect
 * that some active endpoint subscribes to, and one pending delivery per such endpoint. The worker sends them after
 * commit; a rolled-back transition leaves nothing to send.
 */
/** A delivery the outbox wrote: `failing` when its endpoint's last attempt failed (its job goes in the slow lane). */
export interface PendingDelivery {
  id: string
  failing: boolean
}
const endpointsByTransaction = new WeakMap<Trx, Promise<ActiveEndpoint[]>>()

/**
 * The active endpoints, read once per transaction: a timer batch fires dozens of transitions in one, and on two
 * cores an extra statement per transition costs a third of the timer throughput. The read is inside the
 * transaction, so an endpoint created after it commits is seen by the next transaction.
 */
function activeEndpoints(trx: Trx): Promise<ActiveEndpoint[]> {
  let endpoints = endpointsByTransaction.get(trx)
  if (!endpoints) {
    endpoints = trx
      .selectFrom('webhookEndpoints')
      .select(['id', 'events', 'integrationId', 'consecutiveFailures'])
      .where('active', '=', true)
      .where('deletedAt', 'is', null)
      .execute()
    endpointsByTransaction.set(trx, endpoints)
  }
  return endpoints
}

/** Answers the deliveries it wrote, for the caller to enqueue after commit. */
export async function writeOutbox(trx: Trx, input: OutboxInput): Promise<PendingDelivery[]> {
  const types = input.effects.flatMap((effect) => (effect.type === 'notify' ? [effect.event] : []))
  if (types.length === 0) return []
  const { complaint } = input
  const endpoints = (input.endpoints ?? (await activeEndpoints(trx))).filter((endpoint) =>
    endpoint.events.some((event) => types.includes(event)) &&
    (endpoint.integrationId === null || endpoint.integrationId === complaint.integrationId))
  if (endpoints.length === 0) return []

  const events: { id: string; complaintId: string; seq: number; seqIndex: number; type: string; payload: string }[] = []
  const deliveries: { eventId: string; endpointId: string; complaintId: string; seq: number; seqIndex: number }[] = []
  types.forEach((type, seqIndex) => {
    const subscribers = endpoints.filter((endpoint) => endpoint.events.includes(type))
    if (subscribers.length === 0) return
    const id = randomUUID()
    const payload = eventPayload(type, complaint, input.at, { seq: input.seq, seqIndex, cause: input.historyType })
    events.push({ id, complaintId: complaint.id, seq: input.seq, seqIndex, type, payload })
    for (const endpoint of subscribers) {
      deliveries.push({ eventId: id, endpointId: endpoint.id, complaintId: complaint.id, seq: input.seq, seqIndex })
    }
  })
  await trx.insertInto('webhookEvents').values(events.map((e) => ({ ...e, createdAt: input.at }))).execute()
  if (deliveries.length === 0) return []
  const failing = new Set(endpoints.filter((endpoint) => endpoint.consecutiveFailures > 0).map((endpoint) => endpoint.id))
  // Healthy endpoints' deliveries first: the after-commit enqueue adds them in this order.
  deliveries.sort((a, b) => Number(failing.has(a.endpointId)) - Number(failing.has(b.endpointId)))
  const rows = await trx.insertInto('webhookDeliveries').values(deliveries).returning(['id', 'endpointId']).execute()
  return rows.map((row) => ({ id: row.id, failing: failing.has(row.endpointId) }))
}

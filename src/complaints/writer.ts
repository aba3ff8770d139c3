import { sql, type Insertable, type InsertObject, type QueryCreator } from 'kysely'
import type { Trx } from '../db/database.js'
import type { ComplaintEventsTable, ComplaintRow, ComplaintUpdate, Database, IdempotencyKeysTable } from '../db/tables.js'
import type { OutboxRows } from '../outbox/outbox.js'
import { pending, type TimerInsert } from '../timers/timers.repository.js'

export type EventRow = Insertable<ComplaintEventsTable>

/** Everything one transition (or a creation) writes: each table touched once. */
export interface ComplaintWrite {
  complaintId: string
  /** A new complaint's row (creation), or the fields a transition changes. */
  insert?: InsertObject<Database, 'complaints'>
  update?: ComplaintUpdate
  events: EventRow[]
  /** Pending timers of these kinds are cancelled at `at` (only rows that existed before this write). */
  cancel: { kinds: string[]; at: Date }
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
export async function writeComplaint(trx: Trx, write: ComplaintWrite): Promise<{ row: ComplaintRow; claimed: boolean }> {
  const id = write.complaintId
  let creator = trx as unknown as Creator
  const add = (name: string, build: (db: Creator) => unknown) => {
    creator = creator.with(name, build as never) as unknown as Creator
  }
  if (write.events.length > 0) add('appended', (db) => db.insertInto('complaintEvents').values(write.events))
  if (write.cancel.kinds.length > 0) {
    add('cancelled', (db) => db.updateTable('timers').set({ cancelledAt: write.cancel.at })
      .where('complaintId', '=', id).where('kind', 'in', write.cancel.kinds).where(pending))
  }
  if (write.arm.length > 0) add('armed', (db) => db.insertInto('timers').values(write.arm))
  if (write.outbox.events.length > 0) add('announced', (db) => db.insertInto('webhookEvents').values(write.outbox.events))
  if (write.outbox.deliveries.length > 0) add('addressed', (db) => db.insertInto('webhookDeliveries').values(write.outbox.deliveries))
  if (write.claim) {
    const claim = write.claim
    add('claimed', (db) => db.insertInto('idempotencyKeys').values(claim).onConflict((oc) => oc.doNothing()).returning('key'))
  }
  const claimed = write.claim ? sql<number>`(select count(*) from claimed)::int` : sql<number>`1`
  const statement = write.insert
    ? creator.insertInto('complaints').values(write.insert).returningAll().returning(claimed.as('claimedKeys'))
    : creator.updateTable('complaints').set(write.update!).where('id', '=', id).returningAll().returning(claimed.as('claimedKeys'))
  const { claimedKeys, ...row } = await statement.executeTakeFirstOrThrow()
  return { row: row as ComplaintRow, claimed: claimedKeys > 0 }
}

import type { Effect } from '../../workflows/complaint.machine.js'
import type { Trx } from '../db/database.js'
import type { ComplaintRow } from '../db/tables.js'

export interface OutboxInput {
  complaint: ComplaintRow
  seq: number
  historyType: string
  effects: Effect[]
  at: Date
}

/**
 * Writes the outbound webhook events of one transition, in its transaction.
 * PLACEHOLDER until the outbound-webhooks work lands (issue 5): it writes nothing yet.
 */
export async function writeOutbox(_trx: Trx, _input: OutboxInput): Promise<void> {}

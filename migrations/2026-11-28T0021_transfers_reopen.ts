import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Transfers between teams and repeat contacts (CONTRACT.md, "Transfers between teams", "Waiting for the customer, and
// coming back"): the complaint's latest transfer (from where, to where, until when it may be sent back, and whether it
// was), and `repeat_of`, the closed complaint of the same customer and category a new one follows within
// policy.reopenWithin, set by the intake's own insert. Both null in the rows written before: no transfer happened then,
// and no intake looked for a repeat, so no existing row is rewritten. The intake's look-up (a customer's complaints of
// one category closed lately) is served by complaints_customer_recent_idx (customer_id, created_at).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table complaints add column transfer jsonb, add column repeat_of uuid`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table complaints drop column transfer, drop column repeat_of`.execute(db)
}

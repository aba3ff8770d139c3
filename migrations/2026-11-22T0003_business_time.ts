import type { Kysely } from 'kysely'

// Frozen: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('complaints')
    // The customer's tier when the complaint came in: the SLA promised then does not change with the customer.
    .addColumn('customer_tier', 'text')
    // While the complaint waits for the customer: when the clock stopped and the deadlines it set aside.
    .addColumn('clock_paused', 'jsonb')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('complaints').dropColumn('clock_paused').dropColumn('customer_tier').execute()
}

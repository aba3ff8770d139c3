import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  // Housekeeping deletes keys older than IDEMPOTENCY_KEY_RETENTION, oldest first, without scanning the table.
  await db.schema.createIndex('idempotency_keys_created_at_idx').on('idempotency_keys').column('created_at').execute()
  // And deliveries settled before WEBHOOK_DELIVERY_RETENTION, oldest first.
  await sql`create index webhook_deliveries_settled_idx on webhook_deliveries (finished_at) where status <> 'pending'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_settled_idx').execute()
  await db.schema.dropIndex('idempotency_keys_created_at_idx').execute()
}

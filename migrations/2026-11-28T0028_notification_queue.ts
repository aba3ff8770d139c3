import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Messages to customers are handed to the delivery queue by the worker's loader (every NOTIFY_LOAD_EVERY), not by
// the request that wrote them: `queued_at` is when the loader last handed a message out, so a message whose job
// still waits behind others is not handed out again every round. Null until then; no rewrite of existing rows.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table notifications add column queued_at timestamptz`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table notifications drop column queued_at`.execute(db)
}

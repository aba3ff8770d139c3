import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// An admin's ping (POST /v1/webhook-endpoints/{id}/ping) is an event and a delivery that no complaint caused: their
// complaint_id may be null. No rewrite: the constraint is only dropped.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table webhook_events alter column complaint_id drop not null`.execute(db)
  await sql`alter table webhook_deliveries alter column complaint_id drop not null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from webhook_attempts where delivery_id in (select id from webhook_deliveries where complaint_id is null)`.execute(db)
  await sql`delete from webhook_deliveries where complaint_id is null`.execute(db)
  await sql`delete from webhook_events where complaint_id is null`.execute(db)
  await sql`alter table webhook_deliveries alter column complaint_id set not null`.execute(db)
  await sql`alter table webhook_events alter column complaint_id set not null`.execute(db)
}

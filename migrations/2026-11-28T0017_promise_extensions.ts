import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Promise extensions (CONTRACT.md, "Promise extensions"): the latest request on the complaint's row, and the first
// promise made. No rewrite of existing rows: a null original_promised_by reads as promised_by (never extended).
// Extension requests waiting for a decision are listed soonest deadline first from their own small index.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table complaints add column extension jsonb, add column original_promised_by timestamptz`.execute(db)
  await sql`create index complaints_extension_pending_idx on complaints (promised_by, id)
    where extension ->> 'status' = 'pending'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists complaints_extension_pending_idx`.execute(db)
  await sql`alter table complaints drop column extension, drop column original_promised_by`.execute(db)
}

import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  // Every change is a new row: pending deadlines keep the policy they were computed from, the history keeps all.
  await db.schema
    .createTable('sla_policies')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  // The reconciler walks pending timers in id order.
  await sql`create index timers_pending_id_idx on timers (id) where fired_at is null and cancelled_at is null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists timers_pending_id_idx`.execute(db)
  await db.schema.dropTable('sla_policies').ifExists().execute()
}

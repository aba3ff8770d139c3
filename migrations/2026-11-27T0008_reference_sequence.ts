import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// References were numbered by one counter row per day, updated by every intake in a commit of its own: a hot row.
// They now come from a sequence that hands each process a block of 100 numbers (src/complaints/references.ts).
// It starts above every number the counters gave out, so no reference issued today can be issued again.
export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ last: number | null }>`select max(last) as last from reference_counters`.execute(db)
  const start = (rows[0]?.last ?? 0) + 1
  await sql`create sequence complaint_reference_seq as bigint increment by 100 start with ${sql.lit(start)}`.execute(db)
  await db.schema.dropTable('reference_counters').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reference_counters')
    .addColumn('day', 'date', (c) => c.primaryKey())
    .addColumn('last', 'integer', (c) => c.notNull())
    .execute()
  // The counters go on from today's highest reference, so the old code issues none twice.
  await sql`
    insert into reference_counters (day, last)
    select (now() at time zone 'UTC')::date, coalesce(max(right(reference, 6)::integer), 0) from complaints
    where reference like 'C-' || to_char(now() at time zone 'UTC', 'YYYYMMDD') || '-%'`.execute(db)
  await sql`drop sequence if exists complaint_reference_seq`.execute(db)
}

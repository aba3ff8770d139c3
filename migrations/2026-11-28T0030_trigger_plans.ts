import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// A PL/pgSQL function caches the plans of its statements for the life of the connection, and after five calls a
// generic plan, made while a table was small, may stay: the report and search triggers kept joining `complaints` by a
// sequential scan (planned at a few hundred rows) while it grew, reading every row on every transition (measured:
// 70 million rows for 12,000 requests, bench/notify-cost.ts). Planned for each call instead, they see the table as it
// is. SQL functions are left alone: a SET clause would stop their inlining. A later `create or replace function` must
// repeat the setting (test/db/trigger-plans.test.ts fails otherwise).
const EACH_PLPGSQL_FUNCTION = sql`
  select p.oid::regprocedure::text as name from pg_proc p join pg_language l on l.oid = p.prolang
  where p.pronamespace = 'public'::regnamespace and l.lanname = 'plpgsql'`

export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await EACH_PLPGSQL_FUNCTION.execute(db)
  for (const { name } of rows as { name: string }[]) {
    await sql`alter function ${sql.raw(name)} set plan_cache_mode = force_custom_plan`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const { rows } = await EACH_PLPGSQL_FUNCTION.execute(db)
  for (const { name } of rows as { name: string }[]) {
    await sql`alter function ${sql.raw(name)} reset plan_cache_mode`.execute(db)
  }
}

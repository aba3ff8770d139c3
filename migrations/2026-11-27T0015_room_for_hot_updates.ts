import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// A complaint's row is rewritten by every transition of its life (a warning, a missed deadline, a routing, an
// acknowledgement, ...), and its report row with most of them. Postgres can write the new version in place of the old
// (a HOT update: no new entry in any of the complaint's twelve indexes) only when the page has room for it; with
// tables filled to the brim, 19% of complaint updates were HOT in the timer benchmark (bench/RESULTS.md, issue 12).
// A fifth of each new page is left free. Existing pages are not rewritten; the setting applies as tables grow.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table complaints set (fillfactor = 80)`.execute(db)
  await sql`alter table report_facts set (fillfactor = 80)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table complaints reset (fillfactor)`.execute(db)
  await sql`alter table report_facts reset (fillfactor)`.execute(db)
}

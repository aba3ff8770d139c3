import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Every hot-path query gets an index that serves it whatever the planner's statistics say (issue 11). Autovacuum is off
// on the machines this runs on, so a table grown from empty is never analysed: the planner then guesses selectivities
// and can prefer walking an index in the ORDER BY's order and filtering (timers_pending_idx by due_at, 21.6 ms a read
// at 24,000 timers). An index whose leading columns are the query's equalities and whose next columns are its ORDER BY
// is the cheapest plan under any estimate, so the planner takes it with or without statistics.
//
// - timers (complaint_id, due_at) where pending: the pending timers of the complaints read (every read of a complaint,
//   every list page). Replaces (complaint_id) where pending, which it serves too.
// - timers (complaint_id, armed_seq) where kind = 'route_escalation': whether a routing job was overtaken by a newer
//   one (src/timers/fire-timer.ts); it read every timer row (a parallel seq scan, 420 ms at 2,100,000 timers).
// - complaints (state | assignee_id | team, created_at desc, id desc): the list's filters in the list's order (newest
//   first, keyset on (created_at, id)), so a page reads its 51 rows and stops. The state and assignee ones replace
//   (state, created_at desc) and (assignee_id), which they serve too.
// - complaints (assignee_id, state, created_at desc, id desc): an agent's queue in one state (the list's state +
//   assignee). Without it a rare state walks every complaint of the assignee (20,000 at 1,000,000 complaints).
// - complaints (customer_id, category, created_at desc, id desc): intake's open-duplicate lookup (same customer and
//   category, newest first, limit 1). Replaces (customer_id, category), which it serves too.
// - complaints (created_at desc, id desc) where state is open: the overdue filter (only open complaints can be), so
//   a page walks the open complaints, not the closed ones in between.
// The indexes the reports read (complaints_recent_customer_idx, complaints_customer_recent_idx, 0005) stay as they are.
//
// For operators with large tables: Kysely's migrator runs pending migrations in one transaction on Postgres (it
// supports transactional DDL), and CREATE INDEX CONCURRENTLY cannot run in a transaction, so this migration uses
// plain CREATE INDEX: each build blocks writes to its table (not reads) while it runs (see bench/RESULTS.md for
// how long at 1,000,000 complaints), all of it in one transaction. To avoid that pause, build the indexes
// beforehand with the same names and definitions, outside any transaction:
//   create index concurrently if not exists complaints_state_created_idx on complaints (state, created_at desc, id desc);
//   ... (each `create index if not exists` below, with `concurrently`)
// then check that none is left invalid by a failed build (`select indexrelid::regclass from pg_index where not
// indisvalid`; drop those and build again), and migrate: `if not exists` skips what is there, and what remains is
// dropping the replaced indexes, a moment's exclusive lock each. Run ANALYZE afterwards where autovacuum is off; these
// indexes do not need it.
const INDEXES: [name: string, definition: string][] = [
  ['timers_complaint_pending_due_idx', 'timers (complaint_id, due_at) where fired_at is null and cancelled_at is null'],
  ['timers_route_escalation_idx', "timers (complaint_id, armed_seq) where kind = 'route_escalation'"],
  ['complaints_state_created_idx', 'complaints (state, created_at desc, id desc)'],
  ['complaints_assignee_created_idx', 'complaints (assignee_id, created_at desc, id desc)'],
  ['complaints_assignee_state_created_idx', 'complaints (assignee_id, state, created_at desc, id desc)'],
  ['complaints_team_created_idx', 'complaints (team, created_at desc, id desc)'],
  ['complaints_customer_category_created_idx', 'complaints (customer_id, category, created_at desc, id desc)'],
  ['complaints_open_created_idx', "complaints (created_at desc, id desc) where state in ('received', 'logged', 'escalated')"],
]

/** The indexes the new ones make redundant, with the definitions down restores. */
const REPLACED: [name: string, definition: string][] = [
  ['timers_complaint_pending_idx', 'timers (complaint_id) where fired_at is null and cancelled_at is null'],
  ['complaints_state_idx', 'complaints (state, created_at desc)'],
  ['complaints_assignee_idx', 'complaints (assignee_id)'],
  ['complaints_customer_idx', 'complaints (customer_id, category)'],
]

export async function up(db: Kysely<any>): Promise<void> {
  // Building over a large table takes longer than the application's statement timeout.
  await sql`set local statement_timeout = 0`.execute(db)
  for (const [name, definition] of INDEXES) await sql`create index if not exists ${sql.id(name)} on ${sql.raw(definition)}`.execute(db)
  for (const [name] of REPLACED) await sql`drop index if exists ${sql.id(name)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`set local statement_timeout = 0`.execute(db)
  for (const [name, definition] of REPLACED) await sql`create index if not exists ${sql.id(name)} on ${sql.raw(definition)}`.execute(db)
  for (const [name] of INDEXES) await sql`drop index if exists ${sql.id(name)}`.execute(db)
}

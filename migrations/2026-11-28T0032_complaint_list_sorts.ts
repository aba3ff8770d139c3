import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// GET /v1/complaints?sort= (issue 16): updatedAt and promisedBy, each way, alone or with the state or assignee filter,
// a page of 50 at 1,000,000 complaints on tables never analysed. As in 0009, an index whose leading column is the
// filter's equality and whose next columns are the order's (field, id) is the cheapest plan under any estimate: the
// list reads one range of it, forwards (ascending) or backwards (descending), and stops after a page. promisedBy's
// nulls (no promise yet) sit at the end of each range and are read as a second range of the same index
// (src/complaints/complaint.list.ts). createdAt needs nothing new: the (created_at desc, id desc) indexes of 0009 and
// the initial schema serve it both ways, and the createdFrom/createdTo bounds as a range of them.
//
// The cost: complaints goes from 15 indexes to 21, so a new complaint writes six more index entries; and updated_at
// changes with every transition, so no update of a complaint can be HOT any more: a transition that changed no indexed
// column (a note, a warning, a reminder) rewrote no index entry, and now writes all 21. Measured without statistics
// at 250,000 complaints: 20,000 such updates took 13-14 s instead of 6-8 s (22% of them HOT before, none after).
// docs/operations.md says how to build indexes concurrently beforehand on a large table, as for 0009: the same names
// and definitions, `create index concurrently if not exists`.
const INDEXES: [name: string, definition: string][] = [
  ['complaints_updated_idx', 'complaints (updated_at, id)'],
  ['complaints_state_updated_idx', 'complaints (state, updated_at, id)'],
  ['complaints_assignee_updated_idx', 'complaints (assignee_id, updated_at, id)'],
  ['complaints_promised_idx', 'complaints (promised_by, id)'],
  ['complaints_state_promised_idx', 'complaints (state, promised_by, id)'],
  ['complaints_assignee_promised_idx', 'complaints (assignee_id, promised_by, id)'],
]

export async function up(db: Kysely<any>): Promise<void> {
  // Building over a large table takes longer than the application's statement timeout.
  await sql`set local statement_timeout = 0`.execute(db)
  for (const [name, definition] of INDEXES) await sql`create index if not exists ${sql.id(name)} on ${sql.raw(definition)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [name] of INDEXES) await sql`drop index if exists ${sql.id(name)}`.execute(db)
}

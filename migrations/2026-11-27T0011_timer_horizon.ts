import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Only deadlines due within the timer horizon are BullMQ jobs; the rest wait in Postgres until a worker's loader
// moves them into the queue as they enter the horizon (issue 12). `queued` says whether a timer's job has been
// handed to the queue. Every timer written before this migration already has a job, hence the default (adding a
// column with a constant default rewrites nothing). The partial index holds only the timers the loader still has to
// move: pending and not queued, by due time.
//
// timers_pending_idx (due_at, every pending timer) is replaced by the same over the queued ones: the reconciler walks
// those due within the horizon. Its other effect was a trap: a per-complaint lookup (`complaint_id = $1 and pending`)
// could walk it and filter by complaint instead of probing timers_complaint_pending_due_idx, on a table never analysed
// where the planner believes both partial indexes tiny (a timer batch's read of its complaints took 40 ms a complaint
// at 100,000 pending timers). Neither new index can serve a lookup that does not name `queued`.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`set local statement_timeout = 0`.execute(db)
  await sql`alter table timers add column queued boolean not null default true`.execute(db)
  await sql`
    create index timers_awaiting_queue_idx on timers (due_at)
    where not queued and fired_at is null and cancelled_at is null`.execute(db)
  await sql`
    create index timers_queued_due_idx on timers (due_at)
    where queued and fired_at is null and cancelled_at is null`.execute(db)
  await sql`drop index if exists timers_pending_idx`.execute(db)
  // The former reconciler's walk in id order; nothing reads pending timers by id any more.
  await sql`drop index if exists timers_pending_id_idx`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists timers_pending_id_idx on timers (id) where fired_at is null and cancelled_at is null`.execute(db)
  await sql`create index if not exists timers_pending_idx on timers (due_at) where fired_at is null and cancelled_at is null`.execute(db)
  await sql`drop index if exists timers_queued_due_idx`.execute(db)
  await sql`drop index if exists timers_awaiting_queue_idx`.execute(db)
  await sql`alter table timers drop column queued`.execute(db)
}

import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Only deadlines due within the timer horizon are BullMQ jobs; the rest wait in Postgres until a worker's loader
// moves them into the queue as they enter the horizon (issue 12). `queued` says whether a timer's job has been
// handed to the queue. Every timer written before this migration already has a job, hence the default (adding a
// column with a constant default rewrites nothing). The partial index holds only the timers the loader still has to
// move: pending and not queued, by due time.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table timers add column queued boolean not null default true`.execute(db)
  await sql`
    create index timers_awaiting_queue_idx on timers (due_at)
    where not queued and fired_at is null and cancelled_at is null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists timers_awaiting_queue_idx`.execute(db)
  await sql`alter table timers drop column queued`.execute(db)
}

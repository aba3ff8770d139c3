import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Timers due together share one BullMQ job (issue 12): the loader's timers entering the horizon within a few tens of
// milliseconds of each other, and the routings a timer batch opens. A BullMQ job costs a dozen Redis commands and two
// or three round trips to take and finish whatever it carries; one per timer was a third of the machine's CPU when a
// thousand promises a second fell due. `job_id` names the job a timer rides in, so the reconciler can tell whether it
// is still in Redis; null is the timer's own job, named by the timer's id, as before.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table timers add column job_id text`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table timers drop column job_id`.execute(db)
}

import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Routing gives an escalation to the supervisor with the fewest open escalations (and a follow-up call to the agent
// with the fewest due). Counting them for every routing batch read every open escalation under the routing lock: 40 ms
// a batch at 60,000 open, most of the worker's time when a flood breaks thousands of promises (bench/RESULTS.md).
// Instead every change of a person's load is appended to routing_loads as a delta, by a statement trigger on
// complaints (appends only: concurrent writers never wait for each other), and a routing batch, which holds the
// routing lock, folds the deltas into one row per person as it reads them. A load is the sum of a person's rows.
//
// Loads: an escalated complaint counts for the assignee in its escalation; a complaint in follow_up for its assignee.
const LOADS = (rows: string) => `
  select (escalation ->> 'assigneeId')::uuid as user_id, 'escalation' as kind from ${rows}
    where state = 'escalated' and escalation ->> 'assigneeId' is not null
  union all
  select assignee_id, 'call' from ${rows} where state = 'follow_up' and assignee_id is not null`

export async function up(db: Kysely<any>): Promise<void> {
  await sql`set local statement_timeout = 0`.execute(db)
  await sql`
    create table routing_loads (
      user_id uuid not null,
      kind text not null check (kind in ('escalation', 'call')),
      delta integer not null
    )`.execute(db)
  await sql`create index routing_loads_user_kind_idx on routing_loads (user_id, kind)`.execute(db)
  await sql.raw(`insert into routing_loads (user_id, kind, delta)
    select user_id, kind, count(*) from (${LOADS('complaints')}) l group by 1, 2`).execute(db)
  await sql.raw(`
    create function routing_loads_on_insert() returns trigger language plpgsql as $$
    begin
      insert into routing_loads (user_id, kind, delta)
      select user_id, kind, count(*) from (${LOADS('added')}) l group by 1, 2;
      return null;
    end $$`).execute(db)
  await sql.raw(`
    create function routing_loads_on_update() returns trigger language plpgsql as $$
    begin
      insert into routing_loads (user_id, kind, delta)
      select user_id, kind, sum(delta) from (
        select user_id, kind, 1 as delta from (${LOADS('new_rows')}) a
        union all
        select user_id, kind, -1 from (${LOADS('old_rows')}) b
      ) l group by 1, 2 having sum(delta) <> 0;
      return null;
    end $$`).execute(db)
  await sql`
    create trigger complaints_routing_loads_insert after insert on complaints
    referencing new table as added for each statement execute function routing_loads_on_insert()`.execute(db)
  await sql`
    create trigger complaints_routing_loads_update after update on complaints
    referencing old table as old_rows new table as new_rows for each statement execute function routing_loads_on_update()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists complaints_routing_loads_update on complaints`.execute(db)
  await sql`drop trigger if exists complaints_routing_loads_insert on complaints`.execute(db)
  await sql`drop function if exists routing_loads_on_update()`.execute(db)
  await sql`drop function if exists routing_loads_on_insert()`.execute(db)
  await sql`drop table if exists routing_loads`.execute(db)
}

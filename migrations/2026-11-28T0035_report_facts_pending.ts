import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// The report row of a complaint was rebuilt inside every transition that changed a figure: about 45 % of a resolve's
// Postgres CPU, two thirds of it planning the rebuild's statement for that one complaint (bench/RESULTS.md, issue 11).
// A transition now only notes its complaint in report_facts_pending (one small insert, no index but the key); the
// rows are rebuilt in batches, by the worker every REPORT_REFRESH_EVERY and by any report before it reads, so a
// report still sees every transition committed before it was asked.
//
// Why a log and not a set: a note merged into one already there (`on conflict do nothing`) could be taken by a
// refresh whose snapshot misses the transition that merged it, and the complaint would stay stale. A note is its own
// row: a refresh deletes only notes it sees (committed before its delete) and rebuilds in a later statement (a later
// snapshot), so what it deletes, it rebuilds; a note committed after it stays for the next one. Refreshes take an
// advisory lock, so two never rebuild the same complaint from different snapshots out of order.
//
// Migration 0016's shortcut stays: a complaint whose notes since its last rebuild are all escalations, and which has a
// report row, has only `escalated` and `level` (and its grouping values) set from its complaint row.
const SKIPPED = `('complaint.note_added', 'deadline.warning', 'follow_up.due', 'complaint.assigned',
  'escalation.assigned', 'escalation.acknowledged', 'complaint.awaiting_customer', 'complaint.resumed')`
const ESCALATIONS = `('complaint.escalated', 'deadline.response_missed', 'deadline.ack_missed', 'deadline.triage_missed')`

// What a refresh does with the complaints it took (PL/pgSQL, with `ids` and `escalating` declared): migration 0016's
// shortcut for those whose new history is only escalations and which have a row, a full rebuild for the others. The
// trigger of 0016 (restored by down) runs the same block.
const REBUILD_NOTED = `      if escalating is not null then
        with moved as (
          update report_facts f set received_at = c.created_at, customer_id = c.customer_id, category = c.category,
            channel = c.channel, severity = c.severity, team = c.team, region = c.region, product = c.product,
            closed = c.state = 'closed', escalated = true, level = coalesce((c.escalation ->> 'level')::smallint, 0)
          from complaints c
          where c.id = f.complaint_id and f.complaint_id = any(escalating)
          returning f.complaint_id, f.received_at
        ), noted as (
          insert into report_dirty_days (day)
          select distinct (m.received_at at time zone 'UTC')::date from moved m
          where not exists (select 1 from report_dirty_days d where d.day = (m.received_at at time zone 'UTC')::date)
        )
        select array_agg(i) into escalating from unnest(escalating) as i where not exists (select 1 from moved m where m.complaint_id = i);
        ids := coalesce(ids, '{}') || coalesce(escalating, '{}');
      end if;
      if cardinality(ids) > 0 then
        perform report_facts_refresh(ids);
      end if;`

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table report_facts_pending (
      id bigint generated always as identity primary key,
      complaint_id uuid not null,
      only_escalations boolean not null
    )`.execute(db)
  // A queue: rows come and go every second. Vacuumed after every few thousand, not a fifth of the table.
  await sql`alter table report_facts_pending set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000)`.execute(db)
  await sql.raw(`
    create or replace function report_facts_on_events() returns trigger language plpgsql
    set plan_cache_mode = force_custom_plan as $$
    begin
      insert into report_facts_pending (complaint_id, only_escalations)
      select complaint_id, bool_and(type in ${ESCALATIONS}) from appended where type not in ${SKIPPED} group by complaint_id;
      return null;
    end $$`).execute(db)
  await sql.raw(`
    create function report_facts_refresh_pending(max_notes integer) returns integer language plpgsql
    set plan_cache_mode = force_custom_plan as $$
    declare
      taken integer;
      ids uuid[];
      escalating uuid[];
    begin
      perform pg_advisory_xact_lock(hashtext('report_facts_pending'));
      with notes as (
        delete from report_facts_pending
        where id in (select id from report_facts_pending order by id limit max_notes)
        returning complaint_id, only_escalations
      ), complaints_noted as (
        select complaint_id, bool_and(only_escalations) as only_escalations, count(*) as n from notes group by complaint_id
      )
      select coalesce(sum(n), 0), array_agg(complaint_id) filter (where not only_escalations),
        array_agg(complaint_id) filter (where only_escalations)
      into taken, ids, escalating
      from complaints_noted;
${REBUILD_NOTED}
      return taken;
    end $$`).execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`select report_facts_refresh(array(select distinct complaint_id from report_facts_pending))`.execute(db)
  await sql.raw(`
    create or replace function report_facts_on_events() returns trigger language plpgsql
    set plan_cache_mode = force_custom_plan as $$
    declare
      ids uuid[];
      escalating uuid[];
    begin
      select array_agg(complaint_id) filter (where not only_escalations), array_agg(complaint_id) filter (where only_escalations)
      into ids, escalating
      from (
        select complaint_id, bool_and(type in ${ESCALATIONS}) as only_escalations
        from appended where type not in ${SKIPPED} group by complaint_id
      ) a;
${REBUILD_NOTED}
      return null;
    end $$`).execute(db)
  await sql`drop function report_facts_refresh_pending(integer)`.execute(db)
  await sql`drop table report_facts_pending`.execute(db)
}

import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// A complaint's search row (migration 0025) was built inside the intake that created it: about half of an intake's
// Postgres CPU (bench/notify-cost.ts with the insert trigger disabled, issue 11), most of it the tokens and the
// index entries of one document, with one plan and one executor start-up per document. The triggers now only note
// the complaint in complaint_search_pending; the rows are built in batches, by the worker every REPORT_REFRESH_EVERY
// and by every search before it reads, so a search still finds every complaint committed before it was asked.
//
// Every change goes through a note, not only intakes (a summary or a note edited, a customer renamed): the refresh is
// then the only writer of complaint_search, and refreshes take turns (an advisory lock). A change rebuilt at once
// beside a batch in flight could be overwritten by that batch's older reading of the complaint.
//
// As in migration 0035, notes are a log and never merged: a refresh deletes only the notes it sees and rebuilds in a
// later statement (a later snapshot), so what it deletes, it rebuilds; a note committed after its delete stays for
// the next one. A refresh that finds no note returns without the lock, so searches wait only while notes are pending.
const NOTE_ON_CHANGE = `
  create or replace function complaint_search_on_change() returns trigger language plpgsql
  set plan_cache_mode = force_custom_plan as $$
  begin
    if tg_table_name = 'customers' then
      insert into complaint_search_pending (complaint_id) select id from complaints where customer_id = new.id;
    elsif tg_table_name = 'complaints' then
      insert into complaint_search_pending (complaint_id) values (new.id);
    else
      insert into complaint_search_pending (complaint_id) values (new.complaint_id);
    end if;
    return null;
  end $$`

// Migration 0025's triggers, as they were (down).
const REFRESH_ON_CHANGE = `
  create or replace function complaint_search_on_change() returns trigger language plpgsql
  set plan_cache_mode = force_custom_plan as $$
  begin
    if tg_table_name = 'customers' then
      perform complaint_search_refresh(array(select id from complaints where customer_id = new.id));
    elsif tg_table_name = 'complaints' then
      perform complaint_search_refresh(array[new.id]);
    else
      perform complaint_search_refresh(array[new.complaint_id]);
    end if;
    return null;
  end $$`

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table complaint_search_pending (
      id bigint generated always as identity primary key,
      complaint_id uuid not null
    )`.execute(db)
  // A queue: rows come and go every second. Vacuumed after every few thousand, not a fifth of the table.
  await sql`alter table complaint_search_pending set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000)`.execute(db)
  await sql`
    create or replace function complaint_search_on_insert() returns trigger language plpgsql
    set plan_cache_mode = force_custom_plan as $$
    begin
      insert into complaint_search_pending (complaint_id) select id from added;
      return null;
    end $$`.execute(db)
  await sql.raw(NOTE_ON_CHANGE).execute(db)
  await sql`
    create function complaint_search_refresh_pending(max_notes integer) returns integer language plpgsql
    set plan_cache_mode = force_custom_plan as $$
    declare
      taken integer;
      ids uuid[];
      oldest bigint;
    begin
      -- By the key, not exists(): a queue's heap keeps its dead rows until vacuumed, and a scan of it would read them all.
      select id into oldest from complaint_search_pending order by id limit 1;
      if oldest is null then
        return 0;
      end if;
      perform pg_advisory_xact_lock(hashtext('complaint_search_pending'));
      with notes as (
        delete from complaint_search_pending
        where id in (select id from complaint_search_pending order by id limit max_notes)
        returning complaint_id
      )
      select count(*), array_agg(distinct complaint_id) into taken, ids from notes;
      if taken > 0 then
        perform complaint_search_refresh(ids);
      end if;
      return taken;
    end $$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`select complaint_search_refresh(array(select distinct complaint_id from complaint_search_pending))`.execute(db)
  await sql`
    create or replace function complaint_search_on_insert() returns trigger language plpgsql
    set plan_cache_mode = force_custom_plan as $$
    begin
      perform complaint_search_refresh(array(select id from added));
      return null;
    end $$`.execute(db)
  await sql.raw(REFRESH_ON_CHANGE).execute(db)
  await sql`drop function complaint_search_refresh_pending(integer)`.execute(db)
  await sql`drop table complaint_search_pending`.execute(db)
}

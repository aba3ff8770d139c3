import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// A missed deadline, or an agent's escalation, changes two figures of a complaint's report row: `escalated` and
// `level`. The trigger rebuilt the whole row from the complaint's history for it: 3.1 ms of the 23-ms write of a timer
// batch holding ~50 missed deadlines, inside the routing lock (bench/RESULTS.md, issue 12). A complaint whose appended
// rows (the skipped types aside) are all escalations, and which already has a report row, now has the figures read
// from its own row set again (its grouping values, closed, escalated, level) and the history's kept; any other
// complaint is rebuilt by report_facts_refresh as before. The same figures: an escalation appended after the others
// changes neither the first resolution nor whether it came before the first escalation (`on_the_spot`), nor who
// logged it, nor anything the follow-up calls or compensations give.
const SKIPPED = `('complaint.note_added', 'deadline.warning', 'follow_up.due', 'complaint.assigned',
  'escalation.assigned', 'escalation.acknowledged', 'complaint.awaiting_customer', 'complaint.resumed')`
const ESCALATIONS = `('complaint.escalated', 'deadline.response_missed', 'deadline.ack_missed', 'deadline.triage_missed')`

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create or replace function report_facts_on_events() returns trigger language plpgsql as $$
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
      if escalating is not null then
        with moved as (
          update report_facts f set received_at = c.created_at, customer_id = c.customer_id, category = c.category,
            channel = c.channel, severity = c.severity, team = c.team, region = c.region, product = c.product,
            closed = c.state = 'closed', escalated = true, level = coalesce((c.escalation ->> 'level')::smallint, 0)
          from complaints c
          where c.id = f.complaint_id and f.complaint_id = any(escalating)
          returning f.complaint_id, f.received_at
        ), noted as (
          -- The days whose report_daily rows are now stale, as report_facts_refresh notes them.
          insert into report_dirty_days (day)
          select distinct (m.received_at at time zone 'UTC')::date from moved m
          where not exists (select 1 from report_dirty_days d where d.day = (m.received_at at time zone 'UTC')::date)
        )
        -- Those without a report row yet are rebuilt whole.
        select array_agg(i) into escalating from unnest(escalating) as i where not exists (select 1 from moved m where m.complaint_id = i);
        ids := coalesce(ids, '{}') || coalesce(escalating, '{}');
      end if;
      if cardinality(ids) > 0 then
        perform report_facts_refresh(ids);
      end if;
      return null;
    end $$`).execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create or replace function report_facts_on_events() returns trigger language plpgsql as $$
    declare
      ids uuid[];
    begin
      select array_agg(distinct complaint_id) into ids from appended where type not in ${SKIPPED};
      if ids is not null then
        perform report_facts_refresh(ids);
      end if;
      return null;
    end $$`).execute(db)
}

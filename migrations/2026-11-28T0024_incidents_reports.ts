import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Reports gain groupBy=incident and incidentShare (complaints linked to an incident, migration 0023, over those
// received). report_facts keeps each complaint's incident_id (the refresh runs on complaint.linked_to_incident and
// complaint.unlinked_from_incident as on any figure-changing event); report_daily gains the 'incident' grouping and
// incident_linked. Null in the rows written before, when no complaint had an incident: a null reads as 0 (readers
// coalesce). The days already rolled up have no 'incident' rows: every complaint of theirs had no incident, so their
// grouping by incident is their day's total under the key null, copied from the 'all' rows here (no report_facts is
// read again). The refresh and the daily rebuild restate their bodies of migration 0022 with the incident added.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table report_facts add column incident_id uuid`.execute(db)
  await sql`alter table report_daily add column incident_linked integer`.execute(db)
  await sql`
    create or replace function report_facts_refresh(ids uuid[]) returns void language plpgsql as $$
    begin
      insert into report_facts as f (complaint_id, received_at, customer_id, category, channel, severity, team, region,
        product, agent_id, closed, resolved_at, resolution_seconds, on_the_spot, within_deadline, escalated, level,
        reopened, followed_up, satisfaction, compensation_kinds, compensation_counts, compensation_amounts, extended,
        within_original, transfers, sent_back, repeat_contact, incident_id)
      select c.id, c.created_at, c.customer_id, c.category, c.channel, c.severity, c.team, c.region, c.product,
        h.agent_id,
        c.state = 'closed',
        h.resolved_at,
        -- greatest() ignores nulls: an unresolved complaint must stay null.
        case when h.resolved_at is not null then greatest(0, floor(extract(epoch from h.resolved_at - c.created_at)))::integer end,
        -- A repeat contact is never resolved on first contact: the customer was not helped the first time.
        h.resolved_seq is not null and (h.escalated_seq is null or h.escalated_seq > h.resolved_seq) and c.repeat_of is null,
        h.resolved_at is not null and c.promised_by is not null and h.resolved_at <= c.promised_by,
        h.escalated_seq is not null,
        coalesce((c.escalation ->> 'level')::smallint, 0),
        h.reopened,
        h.followed_up,
        h.satisfaction,
        k.kinds, k.counts, k.amounts,
        h.extended,
        h.resolved_at is not null and coalesce(c.original_promised_by, c.promised_by) is not null
          and h.resolved_at <= coalesce(c.original_promised_by, c.promised_by),
        h.transfers, h.sent_back, c.repeat_of is not null, c.incident_id
      from unnest(ids) as i(id)
      join complaints c on c.id = i.id
      cross join lateral (
        select
          (array_agg(e.actor_id order by e.seq) filter (where e.type = 'complaint.logged'))[1] as agent_id,
          min(e.seq) filter (where e.type = 'complaint.resolved') as resolved_seq,
          (array_agg(e.at order by e.seq) filter (where e.type = 'complaint.resolved'))[1] as resolved_at,
          min(e.seq) filter (where e.type in
            ('complaint.escalated', 'deadline.response_missed', 'deadline.ack_missed', 'deadline.triage_missed')) as escalated_seq,
          coalesce(bool_or((e.type = 'follow_up.recorded' and e.data ->> 'outcome' = 'unsatisfied') or e.type = 'complaint.reopened'), false) as reopened,
          count(*) filter (where e.type = 'complaint.transferred')::smallint as transfers,
          count(*) filter (where e.type = 'complaint.sent_back')::smallint as sent_back,
          coalesce(bool_or(e.type = 'follow_up.recorded'), false) as followed_up,
          coalesce(bool_or(e.type = 'promise.extended'), false) as extended,
          (array_agg(case when jsonb_typeof(e.data -> 'satisfaction') = 'number' then (e.data ->> 'satisfaction')::numeric::smallint end
            order by e.seq desc)
            filter (where e.type = 'follow_up.recorded' and jsonb_typeof(e.data -> 'satisfaction') = 'number'))[1] as satisfaction,
          jsonb_agg(e.data -> 'compensation') filter (where e.type = 'complaint.resolved'
            and jsonb_typeof(e.data -> 'compensation') = 'object' and e.data -> 'compensation' ->> 'kind' is not null) as compensations
        from complaint_events e
        where e.complaint_id = c.id
      ) h
      cross join lateral (
        select array_agg(g.kind order by g.kind) as kinds, array_agg(g.n order by g.kind) as counts,
          array_agg(g.amount order by g.kind) as amounts
        from (
          select x.compensation ->> 'kind' as kind, count(*)::integer as n,
            coalesce(sum(case when jsonb_typeof(x.compensation -> 'amount') = 'number'
              then (x.compensation ->> 'amount')::numeric end), 0) as amount
          from jsonb_array_elements(h.compensations) as x(compensation)
          group by 1
        ) g
      ) k
      on conflict (complaint_id) do update set
        received_at = excluded.received_at,
        customer_id = excluded.customer_id,
        category = excluded.category,
        channel = excluded.channel,
        severity = excluded.severity,
        team = excluded.team,
        region = excluded.region,
        product = excluded.product,
        agent_id = excluded.agent_id,
        closed = excluded.closed,
        resolved_at = excluded.resolved_at,
        resolution_seconds = excluded.resolution_seconds,
        on_the_spot = excluded.on_the_spot,
        within_deadline = case when f.resolved_at is not null and f.resolved_at = excluded.resolved_at
          then f.within_deadline else excluded.within_deadline end,
        escalated = excluded.escalated,
        level = excluded.level,
        reopened = excluded.reopened,
        followed_up = excluded.followed_up,
        satisfaction = excluded.satisfaction,
        compensation_kinds = excluded.compensation_kinds,
        compensation_counts = excluded.compensation_counts,
        compensation_amounts = excluded.compensation_amounts,
        extended = excluded.extended,
        within_original = case when f.resolved_at is not null and f.resolved_at = excluded.resolved_at
          then coalesce(f.within_original, f.within_deadline) else excluded.within_original end,
        transfers = excluded.transfers,
        sent_back = excluded.sent_back,
        repeat_contact = excluded.repeat_contact,
        incident_id = excluded.incident_id;
      -- The days whose report_daily rows are now stale (a duplicate note is harmless, so no lock is taken).
      insert into report_dirty_days (day)
      select distinct (c.created_at at time zone 'UTC')::date
      from unnest(ids) as i(id)
      join complaints c on c.id = i.id
      where not exists (select 1 from report_dirty_days d where d.day = (c.created_at at time zone 'UTC')::date);
    end $$`.execute(db)
  await sql.raw(DAILY_REBUILD).execute(db)
  await sql`
    insert into report_daily (day, dim, key, hour, received, closed, resolved, on_the_spot, within_deadline, escalated,
      max_level, reopened, followed_up, rated, satisfaction_sum, satisfied, seconds, extended, within_original, transfers,
      sent_back, repeat_contacts, incident_linked)
    select day, 'incident', null, null, received, closed, resolved, on_the_spot, within_deadline, escalated, max_level,
      reopened, followed_up, rated, satisfaction_sum, satisfied, seconds, extended, within_original, transfers, sent_back,
      repeat_contacts, 0
    from report_daily where dim = 'all'`.execute(db)
  await sql`
    insert into report_daily_compensation (day, dim, key, hour, kind, count, amount)
    select day, 'incident', null, null, kind, count, amount from report_daily_compensation where dim = 'all'`.execute(db)
}

export async function down(): Promise<void> {}

const DAILY_REBUILD = `
    create or replace function report_daily_rebuild(days date[]) returns void language plpgsql as $$
    begin
      delete from report_daily where day = any(days);
      delete from report_daily_compensation where day = any(days);
      insert into report_daily (day, dim, key, hour, received, closed, resolved, on_the_spot, within_deadline, escalated,
        max_level, reopened, followed_up, rated, satisfaction_sum, satisfied, seconds, extended, within_original,
        transfers, sent_back, repeat_contacts, incident_linked)
      with facts as (
        select (f.received_at at time zone 'UTC')::date as day, f.*
        from report_facts f
        where f.received_at >= (select min(d) from unnest(days) d)::timestamp at time zone 'UTC'
          and f.received_at < ((select max(d) from unnest(days) d) + 1)::timestamp at time zone 'UTC'
          and (f.received_at at time zone 'UTC')::date = any(days)
      ), keyed as (
        select facts.*, g.dim, g.key, g.hour
        from facts
        cross join lateral (values ('category', facts.category, null), ('channel', facts.channel, null),
          ('severity', facts.severity, null), ('team', facts.team, null), ('region', facts.region, null),
          ('product', facts.product, null), ('agent', facts.agent_id::text, null), ('incident', facts.incident_id::text, null), ('all', null, null),
          ('hour', null, extract(hour from facts.received_at at time zone 'UTC')::smallint)) as g(dim, key, hour)
      )
      select day, dim, key, hour,
        count(*),
        count(*) filter (where closed),
        count(resolved_at),
        count(*) filter (where on_the_spot),
        count(*) filter (where within_deadline),
        count(*) filter (where escalated),
        coalesce(max(level), 0),
        count(*) filter (where reopened),
        count(*) filter (where followed_up and resolved_at is not null),
        count(satisfaction),
        coalesce(sum(satisfaction), 0),
        count(*) filter (where satisfaction >= 4),
        string_agg(int4send(resolution_seconds), ''::bytea) filter (where resolution_seconds is not null),
        count(*) filter (where extended),
        count(*) filter (where coalesce(within_original, within_deadline)),
        coalesce(sum(transfers), 0),
        coalesce(sum(sent_back), 0),
        count(*) filter (where repeat_contact),
        count(*) filter (where incident_id is not null)
      from keyed
      group by day, dim, key, hour;
      insert into report_daily_compensation (day, dim, key, hour, kind, count, amount)
      with facts as (
        select (f.received_at at time zone 'UTC')::date as day, f.*
        from report_facts f
        where f.received_at >= (select min(d) from unnest(days) d)::timestamp at time zone 'UTC'
          and f.received_at < ((select max(d) from unnest(days) d) + 1)::timestamp at time zone 'UTC'
          and (f.received_at at time zone 'UTC')::date = any(days)
      ), keyed as (
        select facts.*, g.dim, g.key, g.hour
        from facts
        cross join lateral (values ('category', facts.category, null), ('channel', facts.channel, null),
          ('severity', facts.severity, null), ('team', facts.team, null), ('region', facts.region, null),
          ('product', facts.product, null), ('agent', facts.agent_id::text, null), ('incident', facts.incident_id::text, null), ('all', null, null),
          ('hour', null, extract(hour from facts.received_at at time zone 'UTC')::smallint)) as g(dim, key, hour)
      )
      select day, dim, key, hour, u.kind, sum(u.n), sum(u.amount)
      from keyed
      cross join lateral unnest(compensation_kinds, compensation_counts, compensation_amounts) as u(kind, n, amount)
      where compensation_kinds is not null
      group by day, dim, key, hour, u.kind;
    end $$`

import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Reports (docs/reports.md, "How it stays fast") read two levels of pre-aggregation:
// - report_facts: one row per complaint, the figures of its history worked out once. The row is rebuilt from the
//   complaint and its whole history by report_facts_refresh, which a trigger runs whenever an event that can change a
//   figure is appended; every change to a complaint appends an event in the same transaction, after the complaint's
//   row is written, so the row is current when that transaction commits. Each refresh also notes the UTC day the
//   complaint was received in report_dirty_days (append-only: writers never wait on each other).
// - report_daily: per UTC day of receipt, per grouping and key, the sums of those rows, with every resolution time
//   (whole seconds, packed int4) for exact percentiles. report_daily_refresh_dirty rebuilds the days noted dirty;
//   readers take a dirty day from report_facts instead, so a report is exact whether or not the refresh has run.
export async function up(db: Kysely<any>): Promise<void> {
  // Backfilling a large history takes longer than the application's statement timeout.
  await sql`set local statement_timeout = 0`.execute(db)
  await db.schema
    .createTable('report_facts')
    .addColumn('complaint_id', 'uuid', (c) => c.primaryKey().references('complaints.id'))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('customer_id', 'uuid', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('team', 'text')
    .addColumn('region', 'text')
    .addColumn('product', 'text')
    // Who logged it: the actor of its complaint.logged event.
    .addColumn('agent_id', 'uuid')
    .addColumn('closed', 'boolean', (c) => c.notNull())
    // The first resolution, and the whole seconds from receipt to it.
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolution_seconds', 'integer')
    .addColumn('on_the_spot', 'boolean', (c) => c.notNull())
    // Kept as first worked out when the first resolution was appended: the promise in force at that time.
    .addColumn('within_deadline', 'boolean', (c) => c.notNull())
    .addColumn('escalated', 'boolean', (c) => c.notNull())
    .addColumn('level', 'smallint', (c) => c.notNull())
    .addColumn('reopened', 'boolean', (c) => c.notNull())
    .addColumn('followed_up', 'boolean', (c) => c.notNull())
    // The last satisfaction rating given on a follow-up call.
    .addColumn('satisfaction', 'smallint')
    // Compensation granted by every resolution, summed by kind (parallel arrays, sorted by kind).
    .addColumn('compensation_kinds', sql`text[]`)
    .addColumn('compensation_counts', sql`integer[]`)
    .addColumn('compensation_amounts', sql`numeric[]`)
    .execute()
  await db.schema.createIndex('report_facts_received_idx').on('report_facts').column('received_at').execute()

  await db.schema
    .createTable('report_dirty_days')
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('marked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('report_dirty_days_day_idx').on('report_dirty_days').column('day').execute()

  await db.schema
    .createTable('report_daily')
    .addColumn('day', 'date', (c) => c.notNull())
    // category, channel, severity, team, region, product, agent; 'all' (key null) for the day's total; 'hour' (key
    // null) for each UTC hour's total, so that a month of another zone, which starts within a UTC day, reads hours.
    .addColumn('dim', 'text', (c) => c.notNull())
    .addColumn('key', 'text')
    .addColumn('hour', 'smallint')
    .addColumn('received', 'integer', (c) => c.notNull())
    .addColumn('closed', 'integer', (c) => c.notNull())
    .addColumn('resolved', 'integer', (c) => c.notNull())
    .addColumn('on_the_spot', 'integer', (c) => c.notNull())
    .addColumn('within_deadline', 'integer', (c) => c.notNull())
    .addColumn('escalated', 'integer', (c) => c.notNull())
    .addColumn('max_level', 'smallint', (c) => c.notNull())
    .addColumn('reopened', 'integer', (c) => c.notNull())
    .addColumn('followed_up', 'integer', (c) => c.notNull())
    .addColumn('rated', 'integer', (c) => c.notNull())
    .addColumn('satisfaction_sum', 'integer', (c) => c.notNull())
    .addColumn('satisfied', 'integer', (c) => c.notNull())
    // resolution_seconds of the resolved complaints, each as a big-endian int4 (int4send), in no order.
    .addColumn('seconds', 'bytea')
    .execute()
  await db.schema.createIndex('report_daily_dim_day_idx').on('report_daily').columns(['dim', 'day']).execute()
  // Compensation granted, per day, grouping, key and kind (only where some was).
  await db.schema
    .createTable('report_daily_compensation')
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('dim', 'text', (c) => c.notNull())
    .addColumn('key', 'text')
    .addColumn('hour', 'smallint')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('amount', 'numeric', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('report_daily_compensation_dim_day_idx').on('report_daily_compensation').columns(['dim', 'day']).execute()
  // Repeat complainants, read from indexes alone: a short window by time, then sorted by customer; a long one walks
  // the customers in order (no hash of hundreds of thousands of customers); the categories of those listed.
  await sql`create index complaints_recent_customer_idx on complaints (created_at) include (customer_id, category)`.execute(db)
  await sql`create index complaints_customer_recent_idx on complaints (customer_id, created_at) include (category)`.execute(db)

  await sql`
    create function report_facts_refresh(ids uuid[]) returns void language plpgsql as $$
    begin
      insert into report_facts as f (complaint_id, received_at, customer_id, category, channel, severity, team, region,
        product, agent_id, closed, resolved_at, resolution_seconds, on_the_spot, within_deadline, escalated, level,
        reopened, followed_up, satisfaction, compensation_kinds, compensation_counts, compensation_amounts)
      select c.id, c.created_at, c.customer_id, c.category, c.channel, c.severity, c.team, c.region, c.product,
        h.agent_id,
        c.state = 'closed',
        h.resolved_at,
        -- greatest() ignores nulls: an unresolved complaint must stay null.
        case when h.resolved_at is not null then greatest(0, floor(extract(epoch from h.resolved_at - c.created_at)))::integer end,
        h.resolved_seq is not null and (h.escalated_seq is null or h.escalated_seq > h.resolved_seq),
        h.resolved_at is not null and c.promised_by is not null and h.resolved_at <= c.promised_by,
        h.escalated_seq is not null,
        coalesce((c.escalation ->> 'level')::smallint, 0),
        h.reopened,
        h.followed_up,
        h.satisfaction,
        k.kinds, k.counts, k.amounts
      from unnest(ids) as i(id)
      join complaints c on c.id = i.id
      cross join lateral (
        select
          (array_agg(e.actor_id order by e.seq) filter (where e.type = 'complaint.logged'))[1] as agent_id,
          min(e.seq) filter (where e.type = 'complaint.resolved') as resolved_seq,
          (array_agg(e.at order by e.seq) filter (where e.type = 'complaint.resolved'))[1] as resolved_at,
          min(e.seq) filter (where e.type in
            ('complaint.escalated', 'deadline.response_missed', 'deadline.ack_missed', 'deadline.triage_missed')) as escalated_seq,
          coalesce(bool_or(e.type = 'follow_up.recorded' and e.data ->> 'outcome' = 'unsatisfied'), false) as reopened,
          coalesce(bool_or(e.type = 'follow_up.recorded'), false) as followed_up,
          (array_agg(case when jsonb_typeof(e.data -> 'satisfaction') = 'number' then (e.data ->> 'satisfaction')::numeric::smallint end
            order by e.seq desc)
            filter (where e.type = 'follow_up.recorded' and jsonb_typeof(e.data -> 'satisfaction') = 'number'))[1] as satisfaction
        from complaint_events e
        where e.complaint_id = c.id
      ) h
      cross join lateral (
        select array_agg(g.kind order by g.kind) as kinds, array_agg(g.n order by g.kind) as counts,
          array_agg(g.amount order by g.kind) as amounts
        from (
          select e.data -> 'compensation' ->> 'kind' as kind, count(*)::integer as n,
            coalesce(sum(case when jsonb_typeof(e.data -> 'compensation' -> 'amount') = 'number'
              then (e.data -> 'compensation' ->> 'amount')::numeric end), 0) as amount
          from complaint_events e
          where e.complaint_id = c.id and e.type = 'complaint.resolved'
            and jsonb_typeof(e.data -> 'compensation') = 'object' and e.data -> 'compensation' ->> 'kind' is not null
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
        compensation_amounts = excluded.compensation_amounts;
      -- The days whose report_daily rows are now stale (a duplicate note is harmless, so no lock is taken).
      insert into report_dirty_days (day)
      select distinct (c.created_at at time zone 'UTC')::date
      from unnest(ids) as i(id)
      join complaints c on c.id = i.id
      where not exists (select 1 from report_dirty_days d where d.day = (c.created_at at time zone 'UTC')::date);
    end $$`.execute(db)

  // Rebuilds report_daily for the given UTC days from report_facts. Callers serialise on the advisory lock.
  await sql`
    create function report_daily_rebuild(days date[]) returns void language plpgsql as $$
    begin
      delete from report_daily where day = any(days);
      delete from report_daily_compensation where day = any(days);
      insert into report_daily (day, dim, key, hour, received, closed, resolved, on_the_spot, within_deadline, escalated,
        max_level, reopened, followed_up, rated, satisfaction_sum, satisfied, seconds)
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
          ('product', facts.product, null), ('agent', facts.agent_id::text, null), ('all', null, null),
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
        string_agg(int4send(resolution_seconds), ''::bytea) filter (where resolution_seconds is not null)
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
          ('product', facts.product, null), ('agent', facts.agent_id::text, null), ('all', null, null),
          ('hour', null, extract(hour from facts.received_at at time zone 'UTC')::smallint)) as g(dim, key, hour)
      )
      select day, dim, key, hour, u.kind, sum(u.n), sum(u.amount)
      from keyed
      cross join lateral unnest(compensation_kinds, compensation_counts, compensation_amounts) as u(kind, n, amount)
      where compensation_kinds is not null
      group by day, dim, key, hour, u.kind;
    end $$`.execute(db)

  // Rebuilds up to max_days of the days noted dirty; answers how many. The notes are taken before the rebuild reads
  // report_facts (a later statement, so a later snapshot): a change committed meanwhile is either in the rebuild or
  // noted again, never lost.
  await sql`
    create function report_daily_refresh_dirty(max_days integer) returns integer language plpgsql as $$
    declare
      picked date[];
    begin
      perform pg_advisory_xact_lock(hashtext('report_daily'));
      picked := array(select distinct day from report_dirty_days order by day limit max_days);
      if cardinality(picked) = 0 then
        return 0;
      end if;
      delete from report_dirty_days where day = any(picked);
      perform report_daily_rebuild(picked);
      return cardinality(picked);
    end $$`.execute(db)

  await sql`
    create function report_facts_on_event() returns trigger language plpgsql as $$
    begin
      perform report_facts_refresh(array[new.complaint_id]);
      return null;
    end $$`.execute(db)
  // Events that change no figure (notes, warnings, assignments, acknowledgements, pauses) skip the refresh; any
  // other type, including ones added later, refreshes the complaint's row.
  await sql`
    create trigger complaint_events_report_facts after insert on complaint_events for each row
    when (new.type not in ('complaint.note_added', 'deadline.warning', 'follow_up.due', 'complaint.assigned',
      'escalation.assigned', 'escalation.acknowledged', 'complaint.awaiting_customer', 'complaint.resumed'))
    execute function report_facts_on_event()`.execute(db)

  // Complaints that exist already.
  await sql`select report_facts_refresh(array(select id from complaints))`.execute(db)
  await sql`select report_daily_refresh_dirty(100000)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists complaint_events_report_facts on complaint_events`.execute(db)
  await sql`drop function if exists report_facts_on_event()`.execute(db)
  await sql`drop function if exists report_daily_refresh_dirty(integer)`.execute(db)
  await sql`drop function if exists report_daily_rebuild(date[])`.execute(db)
  await sql`drop function if exists report_facts_refresh(uuid[])`.execute(db)
  await sql`drop index if exists complaints_recent_customer_idx`.execute(db)
  await sql`drop index if exists complaints_customer_recent_idx`.execute(db)
  for (const table of ['report_daily_compensation', 'report_daily', 'report_dirty_days', 'report_facts']) await db.schema.dropTable(table).ifExists().execute()
}

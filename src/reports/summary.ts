import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../db/database.js'
import { refreshInBatches } from '../db/refresh-in-batches.js'
import type { GroupBy, SummaryGroup, SummaryReport } from './reports.schemas.js'
import { compensationOf, COUNT_FIELDS, countsOf, figures, type Counts, type GroupRow } from './figures.js'
import { unpackSeconds } from './percentiles.js'
import { compareKeys } from './summary-keys.js'

// Every figure is defined in docs/reports.md. The cohort is the complaints received in [from, to). Each UTC day of
// the period is read from report_daily (a whole day not noted dirty; its 24 hour rows when grouping by month and a
// month of tz starts within it) or from report_facts (the partial days at the ends, days noted dirty, an hour a month
// boundary cuts): one statement, so one snapshot, for both. See migrations/2026-11-22T0005_report_indexes.ts.

export interface SummaryInput {
  from: Date
  to: Date
  groupBy: GroupBy | undefined
  tz: string
}

/** The key of a group by period of receipt in tz: a day or hour of report_daily a period boundary cuts is read in finer parts. */
const PERIOD_FORMAT = { month: 'YYYY-MM', day: 'YYYY-MM-DD' } as const

/** The report's dimension in report_daily, and the key of a report_facts row (f) or a report_daily row (r, p). */
function keys(groupBy: GroupBy | undefined, tz: string): { dim: string; rolled: RawBuilder<string | null>; raw: RawBuilder<string | null> } {
  switch (groupBy) {
    case undefined:
      return { dim: 'all', rolled: sql`null::text`, raw: sql`null::text` }
    case 'month':
    case 'day': {
      const format = PERIOD_FORMAT[groupBy]
      return { dim: 'all', rolled: sql`to_char(p.lo at time zone ${tz}, ${format})`, raw: sql`to_char(f.received_at at time zone ${tz}, ${format})` }
    }
    case 'agent':
      return { dim: 'agent', rolled: sql`r.key`, raw: sql`f.agent_id::text` }
    case 'incident':
      return { dim: 'incident', rolled: sql`r.key`, raw: sql`f.incident_id::text` }
    default:
      return { dim: groupBy, rolled: sql`r.key`, raw: sql`f.${sql.ref(groupBy)}` }
  }
}

export interface SummaryResult {
  report: SummaryReport
  /** Days of this period noted dirty (read from report_facts, the slow way): worth a report_daily refresh. */
  dirtyDays: number
}

export async function summaryReport(db: Db, input: SummaryInput): Promise<SummaryResult> {
  const { from, to, groupBy, tz } = input
  const { dim, rolled, raw } = keys(groupBy, tz)
  // By period: a UTC day in which a period of tz starts is read as its 24 hour rows (each hour a boundary cuts from
  // report_facts); with groupBy=day in a zone off UTC, that is every day.
  const periodic = groupBy === 'month' || groupBy === 'day'
  const format = groupBy === 'day' ? PERIOD_FORMAT.day : PERIOD_FORMAT.month
  const { rows } = await db.transaction().execute(async (trx) => {
    // JIT compilation costs more than it saves here; the resolution times of a long period are held in memory.
    await sql`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`.execute(trx)
    return sql<GroupRow>`
      with days as (
        select d::date as day, d at time zone 'UTC' as lo, (d + interval '1 day') at time zone 'UTC' as hi
        from generate_series((${from}::timestamptz at time zone 'UTC')::date::timestamp,
          ((${to}::timestamptz - interval '1 microsecond') at time zone 'UTC')::date::timestamp, interval '1 day') as d
      ), classified as (
        -- 'day': read the day's row; 'hours': a month (or day) of tz starts within it, read its 24 hour rows; 'raw': read
        -- report_facts (a partial day at an end of the period, or a day noted dirty).
        select day, lo, hi,
          case
            when lo < ${from}::timestamptz or hi > ${to}::timestamptz
              or exists (select 1 from report_dirty_days x where x.day = days.day) then 'raw'
            when ${periodic}::boolean
              and to_char(lo at time zone ${tz}, ${format}) <> to_char((hi - interval '1 microsecond') at time zone ${tz}, ${format})
              then 'hours'
            else 'day'
          end as source
        from days
      ), plan as (
        select day, null::smallint as hour, greatest(lo, ${from}::timestamptz) as lo, least(hi, ${to}::timestamptz) as hi, source
        from classified
        where source <> 'hours'
        union all
        -- An hour a period boundary cuts (zones half an hour off) is read from report_facts.
        select c.day, h.hour::smallint, h.lo, h.lo + interval '1 hour',
          case when to_char(h.lo at time zone ${tz}, ${format}) = to_char((h.lo + interval '1 hour' - interval '1 microsecond') at time zone ${tz}, ${format})
            then 'hour' else 'raw' end
        from classified c
        cross join lateral (select n as hour, c.lo + n * interval '1 hour' as lo from generate_series(0, 23) as n) h
        where c.source = 'hours'
      ), parts as (
        select ${rolled} as key, r.received, r.closed, r.resolved, r.on_the_spot, r.within_deadline, r.escalated,
          r.max_level, r.reopened, r.followed_up, r.rated, r.satisfaction_sum, r.satisfied, r.seconds,
          -- Null in rows built before migration 0019, when no promise could be extended.
          coalesce(r.extended, 0) as extended, coalesce(r.within_original, r.within_deadline) as within_original,
          -- Null in rows built before migration 0022, when nothing was transferred, reopened or repeated.
          coalesce(r.transfers, 0) as transfers, coalesce(r.sent_back, 0) as sent_back, coalesce(r.repeat_contacts, 0) as repeat_contacts,
          -- Null in rows built before migration 0024, when no complaint had an incident.
          coalesce(r.incident_linked, 0) as incident_linked
        from plan p
        join report_daily r on r.dim = ${dim} and r.day = p.day
        where p.source = 'day'
        union all
        select ${rolled}, r.received, r.closed, r.resolved, r.on_the_spot, r.within_deadline, r.escalated,
          r.max_level, r.reopened, r.followed_up, r.rated, r.satisfaction_sum, r.satisfied, r.seconds,
          -- Null in rows built before migration 0019, when no promise could be extended.
          coalesce(r.extended, 0) as extended, coalesce(r.within_original, r.within_deadline) as within_original,
          -- Null in rows built before migration 0022, when nothing was transferred, reopened or repeated.
          coalesce(r.transfers, 0) as transfers, coalesce(r.sent_back, 0) as sent_back, coalesce(r.repeat_contacts, 0) as repeat_contacts,
          -- Null in rows built before migration 0024, when no complaint had an incident.
          coalesce(r.incident_linked, 0) as incident_linked
        from plan p
        join report_daily r on r.dim = 'hour' and r.day = p.day and r.hour = p.hour
        where p.source = 'hour'
        union all
        select ${raw}, 1, f.closed::integer, (f.resolved_at is not null)::integer, f.on_the_spot::integer,
          f.within_deadline::integer, f.escalated::integer, f.level, f.reopened::integer,
          (f.followed_up and f.resolved_at is not null)::integer, (f.satisfaction is not null)::integer,
          coalesce(f.satisfaction, 0), coalesce(f.satisfaction >= 4, false)::integer, int4send(f.resolution_seconds),
          coalesce(f.extended, false)::integer, coalesce(f.within_original, f.within_deadline)::integer,
          coalesce(f.transfers, 0)::integer, coalesce(f.sent_back, 0)::integer, coalesce(f.repeat_contact, false)::integer,
          (f.incident_id is not null)::integer
        from plan p
        join report_facts f on f.received_at >= p.lo and f.received_at < p.hi
        where p.source = 'raw'
      ), sums as (
        select key, sum(received) as received, sum(closed) as closed, sum(resolved) as resolved,
          sum(on_the_spot) as on_the_spot, sum(within_deadline) as within_deadline, sum(escalated) as escalated,
          max(max_level)::integer as max_level, sum(reopened) as reopened, sum(followed_up) as followed_up,
          sum(rated) as rated, sum(satisfaction_sum) as satisfaction_sum, sum(satisfied) as satisfied,
          string_agg(seconds, ''::bytea) as seconds, sum(extended) as extended, sum(within_original) as within_original,
          sum(transfers) as transfers, sum(sent_back) as sent_back, sum(repeat_contacts) as repeat_contacts,
          sum(incident_linked) as incident_linked
        from parts
        group by key
      ), granted as (
        select key, array_agg(kind order by kind) as kinds, array_agg(n order by kind) as counts,
          array_agg(amount::text order by kind) as amounts
        from (
          select key, kind, sum(n)::integer as n, sum(amount) as amount
          from (
            select ${rolled} as key, r.kind, r.count as n, r.amount
            from plan p
            join report_daily_compensation r on r.dim = ${dim} and r.day = p.day
            where p.source = 'day'
            union all
            select ${rolled}, r.kind, r.count, r.amount
            from plan p
            join report_daily_compensation r on r.dim = 'hour' and r.day = p.day and r.hour = p.hour
            where p.source = 'hour'
            union all
            select ${raw}, u.kind, u.n, u.amount
            from plan p
            join report_facts f on f.received_at >= p.lo and f.received_at < p.hi
            cross join lateral unnest(f.compensation_kinds, f.compensation_counts, f.compensation_amounts) as u(kind, n, amount)
            where p.source = 'raw' and f.compensation_kinds is not null
          ) granted_parts
          group by key, kind
        ) k
        group by key
      )
      select s.*, g.kinds, g.counts, g.amounts, (select count(*) from report_dirty_days d
        where d.day between (${from}::timestamptz at time zone 'UTC')::date
          and ((${to}::timestamptz - interval '1 microsecond') at time zone 'UTC')::date) as dirty
      from sums s
      left join granted g on g.key is not distinct from s.key`.execute(trx)
  })

  const groupRows = rows.filter((r) => r.received > 0).sort((a, b) => compareKeys(a.key, b.key))
  const totalCounts: Counts = { ...Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])), maxLevel: 0 } as Counts
  for (const row of groupRows) {
    for (const field of COUNT_FIELDS) totalCounts[field] += Number(row[field])
    totalCounts.maxLevel = Math.max(totalCounts.maxLevel, row.maxLevel)
  }
  const names = groupBy === 'agent' || groupBy === 'incident' ? await groupNames(db, groupBy, groupRows.map((r) => r.key)) : undefined
  const groups: SummaryGroup[] = !groupBy ? [] : groupRows.map((row) => ({
    key: row.key,
    ...(names ? { name: row.key === null ? null : names.get(row.key) ?? null } : {}),
    ...figures(countsOf(row), unpackSeconds([row.seconds]), compensationOf([row])),
  }))
  return {
    report: {
      from: from.toISOString(),
      to: to.toISOString(),
      groupBy: groupBy ?? null,
      tz,
      total: figures(totalCounts, unpackSeconds(groupRows.map((r) => r.seconds)), compensationOf(groupRows)),
      groups,
    },
    dirtyDays: Number(rows[0]?.dirty ?? 0),
  }
}

/** Rebuilds the report_daily rows of the days noted dirty, a month of days per transaction; answers how many. */
export function refreshReportDays(db: Db, batch = 31): Promise<number> {
  return refreshInBatches(db, 'report_daily_refresh_dirty', batch)
}

/** The name of each group: the agent's, or the incident's reference and title. */
async function groupNames(db: Db, groupBy: 'agent' | 'incident', keys: (string | null)[]): Promise<Map<string, string>> {
  const ids = keys.filter((k): k is string => k !== null)
  if (ids.length === 0) return new Map()
  const rows = groupBy === 'agent'
    ? await db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute()
    : await db.selectFrom('incidents').select(['id', sql<string>`reference || ' ' || title`.as('name')]).where('id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, r.name]))
}

// The history the reports and list benchmarks share (bench/reports.ts, bench/list.ts): 1,000,000 complaints received
// evenly over two years, their customers, staff and events, seeded with `insert ... select generate_series` with
// foreign keys and triggers off for the load.
import { createHash } from 'node:crypto'
import pg from 'pg'
import { createDb, type Db } from '../src/db/database.js'
import { ensureDatabase } from '../src/db/migrate.js'

export interface SeedSize {
  complaints: number
  /** Received evenly over this many days, ending now. */
  days: number
}

export interface SeedOptions {
  /** Timer rows as the machine leaves them: open complaints' deadlines pending, closed ones' fired or cancelled. */
  timers?: boolean
  /** Build report_facts and report_daily as the trigger and the rebuild do (slow; what bench/reports.ts reads). */
  reportRows?: boolean
  /** `vacuum (analyze)` at the end. bench/list.ts leaves it out: it measures tables that have no statistics. */
  analyze?: boolean
  log?: (message: string) => void
}

export const AGENTS = 50
export const SUPERVISORS = 5
export const customersFor = (complaints: number) => Math.max(1_000, Math.round(complaints / 5))
/** Customer n's phone (1..customersFor), E.164 as intake stores it. */
export const customerPhone = (n: number) => `+86139${String(n).padStart(8, '0')}`
/** Postgres' `md5(text)::uuid`: the seeded rows' ids, known without a query. */
export const seededId = (text: string) => {
  const hex = createHash('md5').update(text).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
/** Agent n (1..AGENTS): every complaint is assigned to the agent who logged it. */
export const agentId = (n: number) => seededId(`agent${n}`)
/** Complaint i (1..complaints; the highest is the newest). */
export const complaintId = (i: number) => seededId(`complaint${i}`)
/** Teams: team-0..team-11, one complaint in 13 without. */
export const TEAMS = 12

/**
 * The histories, one scenario per complaint (by a hash of its number), resolution times skewed towards minutes but
 * reaching five days, against a promise of three days:
 * A 45% resolved on the spot, followed up satisfied, closed; B 15% on the spot, reopened by an unsatisfied follow-up,
 * resolved again after escalation, closed; C 15% escalated by the agent, acknowledged, resolved, closed; D 10% response
 * deadline missed, acknowledgement missed (level 2), resolved, customer unreachable once; E 5% withdrawn; F 10% open.
 */
const plan = ({ complaints, days }: SeedSize) => `
  create unlogged table bench_plan as
  select i,
    md5('complaint' || i)::uuid as id,
    now() - ((${complaints} - i) * (${days} * 86400.0 / ${complaints}) + abs(hashint4(i * 7)) % 60) * interval '1 second' as created_at,
    case when s < 45 then 'A' when s < 60 then 'B' when s < 75 then 'C' when s < 85 then 'D' when s < 90 then 'E' else 'F' end as kind,
    h1, h2, h3,
    md5('agent' || (1 + (h1 / 7) % ${AGENTS}))::uuid as agent,
    md5('supervisor' || (1 + h2 % 5))::uuid as supervisor,
    case when h2 % 10 = 0 then md5('customer' || (1 + h3 % 2000))::uuid
      else md5('customer' || (1 + h1 % ${customersFor(complaints)}))::uuid end as customer,
    1 + floor(power((h3 % 10000) / 10000.0, 3) * 7200)::integer as res_min
  from (
    select i, abs(hashint4(i)) % 100 as s, abs(hashint4(i + 1000003)) as h1, abs(hashint4(i + 2000003)) as h2,
      abs(hashint4(i + 3000017)) as h3
    from generate_series(1, ${complaints}) i
  ) r`

const STATE = `case kind when 'A' then 'closed' when 'B' then 'closed' when 'C' then 'closed' when 'D' then 'follow_up'
  when 'E' then 'closed' else 'logged' end`
const CLOSED_AT = `case kind when 'A' then res_min + 1440 when 'B' then res_min + 4320 when 'C' then res_min + 1440
  when 'E' then 30 end`
const LEVEL = `case kind when 'B' then 1 when 'C' then 1 when 'D' then 2 end`

const COMPLAINTS_SQL = `
  insert into complaints (id, reference, state, channel, customer_id, category, severity, summary, product, region, team,
    assignee_id, promised_by, escalation, resolution, follow_up, close_reason, created_by, machine_version,
    machine_snapshot, version, created_at, updated_at, closed_at)
  select id, 'B-' || lpad(i::text, 8, '0'), ${STATE},
    (array['phone', 'phone', 'phone', 'walk_in', 'webhook', 'email', 'web'])[1 + h2 % 7],
    customer,
    (array['delivery', 'billing', 'quality', 'service', 'refund', 'damage', 'late', 'other'])[1 + h1 % 8],
    (array['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + h3 % 6],
    'bench complaint',
    case when h3 % 11 = 0 then null else 'product-' || (h3 / 11 % 40) end,
    case when h2 % 17 = 0 then null else 'region-' || (h2 / 17 % 7) end,
    case when h1 % 13 = 0 then null else 'team-' || (h1 / 13 % 12) end,
    agent, created_at + interval '3 days',
    case when ${LEVEL} is null then 'null'::jsonb else jsonb_build_object('level', ${LEVEL}, 'reason', 'bench', 'assigneeId', supervisor, 'acknowledgedAt', null, 'ackDueAt', null) end,
    'null'::jsonb, 'null'::jsonb,
    case kind when 'E' then 'withdrawn' when 'A' then 'satisfied' when 'B' then 'satisfied' when 'C' then 'satisfied' end,
    agent, 'complaint@1', jsonb_build_object('value', ${STATE}), 4, created_at, created_at,
    created_at + (${CLOSED_AT}) * interval '1 minute'
  from bench_plan`

// One statement per scenario: (seq, type, actor, role, minutes after receipt, data).
const R = `('{}'::jsonb)`
const EVENTS: Record<string, string> = {
  A: `(1, 'complaint.received', agent, 'agent', 0, ${R}), (2, 'complaint.logged', agent, 'agent', 0, ${R}),
      (3, 'complaint.resolved', agent, 'agent', res_min, case when h1 % 3 = 0
        then jsonb_build_object('compensation', jsonb_build_object('kind', 'refund', 'amount', h2 % 200 + 1, 'currency', 'CNY'))
        else '{"compensation": null}'::jsonb end),
      (4, 'follow_up.recorded', agent, 'agent', res_min + 1440, jsonb_build_object('outcome', 'satisfied', 'satisfaction', 3 + h1 % 3))`,
  B: `(1, 'complaint.received', agent, 'agent', 0, ${R}), (2, 'complaint.logged', agent, 'agent', 0, ${R}),
      (3, 'complaint.resolved', agent, 'agent', res_min, '{"compensation": null}'::jsonb),
      (4, 'follow_up.recorded', agent, 'agent', res_min + 1440, jsonb_build_object('outcome', 'unsatisfied', 'satisfaction', 1 + h2 % 2)),
      (5, 'escalation.acknowledged', supervisor, 'supervisor', res_min + 1470, ${R}),
      (6, 'complaint.resolved', supervisor, 'supervisor', res_min + 2880,
        '{"compensation": {"kind": "voucher", "amount": 20, "currency": "CNY"}}'::jsonb),
      (7, 'follow_up.recorded', agent, 'agent', res_min + 4320, '{"outcome": "satisfied", "satisfaction": 4}'::jsonb)`,
  C: `(1, 'complaint.received', agent, 'agent', 0, ${R}), (2, 'complaint.logged', agent, 'agent', 0, ${R}),
      (3, 'complaint.escalated', agent, 'agent', least(res_min, 5), '{"reason": "above my limit"}'::jsonb),
      (4, 'escalation.acknowledged', supervisor, 'supervisor', least(res_min, 5), ${R}),
      (5, 'complaint.resolved', supervisor, 'supervisor', res_min,
        jsonb_build_object('compensation', jsonb_build_object('kind', 'voucher', 'amount', h1 % 50 + 1, 'currency', 'CNY'))),
      (6, 'follow_up.recorded', agent, 'agent', res_min + 1440, jsonb_build_object('outcome', 'satisfied', 'satisfaction', 2 + h3 % 4))`,
  D: `(1, 'complaint.received', agent, 'agent', 0, ${R}), (2, 'complaint.logged', agent, 'agent', 0, ${R}),
      (3, 'deadline.warning', null::uuid, 'system', 3456, ${R}),
      (4, 'deadline.response_missed', null::uuid, 'system', 4320, ${R}),
      (5, 'deadline.ack_missed', null::uuid, 'system', 4350, ${R}),
      (6, 'complaint.resolved', supervisor, 'supervisor', res_min + 4400,
        '{"compensation": {"kind": "refund", "amount": 100, "currency": "CNY"}}'::jsonb),
      (7, 'follow_up.recorded', agent, 'agent', res_min + 5840, '{"outcome": "unreachable"}'::jsonb)`,
  E: `(1, 'complaint.received', agent, 'agent', 0, ${R}), (2, 'complaint.logged', agent, 'agent', 0, ${R}),
      (3, 'complaint.withdrawn', agent, 'agent', 30, '{"reason": "sorted out"}'::jsonb)`,
  F: `(1, 'complaint.received', agent, 'agent', 0, ${R}), (2, 'complaint.logged', agent, 'agent', 0, ${R})`,
}

// Each complaint's response deadline and its warning (armed when it was logged, seq 2): cancelled when it was resolved
// in time or withdrawn, fired when missed (D), still pending while it is open (F); the retry of D's unreachable
// follow-up call is pending. Timer ids are the service's: complaint.kind.seq.
const TIMERS_SQL = `
  insert into timers (id, complaint_id, kind, due_at, armed_state, armed_seq, created_at, fired_at, cancelled_at)
  select p.id || '.' || t.kind || '.' || t.seq, p.id, t.kind, p.created_at + t.due_min * interval '1 minute', t.state, t.seq,
    p.created_at + t.armed_min * interval '1 minute',
    case when t.outcome = 'fired' then p.created_at + t.due_min * interval '1 minute' end,
    case when t.outcome = 'cancelled' then p.created_at + t.end_min * interval '1 minute' end
  from bench_plan p
  cross join lateral (values
    ('response', 2, 'logged', 0, 4320, case p.kind when 'D' then 'fired' when 'F' then 'pending' else 'cancelled' end,
      case p.kind when 'E' then 30 else least(p.res_min, 4320) end),
    ('response_warning', 2, 'logged', 0, 3456, case when p.kind = 'F' then 'pending'
      when p.kind = 'D' or p.res_min > 3456 then 'fired' else 'cancelled' end,
      case p.kind when 'E' then 30 else least(p.res_min, 3456) end),
    ('follow_up_retry', 7, 'follow_up', p.res_min + 5840, p.res_min + 5960, 'pending', null)
  ) as t(kind, seq, state, armed_min, due_min, outcome, end_min)
  where t.kind <> 'follow_up_retry' or p.kind = 'D'`

/**
 * Database name on server, with a pool of 10. Unless BENCH_REUSE is set (measure again on what a previous run seeded,
 * without seeding), the database is dropped and created empty first.
 */
export async function benchDatabase(server: string, name: string, log: (message: string) => void): Promise<{ url: string; db: Db; reuse: boolean }> {
  const url = new URL(server)
  url.pathname = `/${name}`
  const reuse = Boolean(process.env.BENCH_REUSE)
  if (reuse) {
    log(`reusing ${name}`)
  } else {
    const admin = new pg.Client({ connectionString: new URL('/postgres', server).toString() })
    await admin.connect()
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`)
    } finally {
      await admin.end()
    }
    await ensureDatabase(url.toString())
  }
  return { url: url.toString(), db: createDb(url.toString(), { max: 10 }), reuse }
}

/** Runs a statement on the client and logs its label, row count and duration. */
export function timedQueries(client: pg.Client, log: (message: string) => void) {
  return async (label: string, text: string) => {
    const t0 = Date.now()
    const result = await client.query(text)
    log(`${label}: ${result.rowCount ?? ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    return result
  }
}

/** Seeds the migrated, empty database at url. Answers the number of events written and the seconds it took. */
export async function seed(url: string, size: SeedSize, options: SeedOptions = {}): Promise<{ events: number; seconds: number }> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`))
  const { complaints } = size
  const started = Date.now()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const run = timedQueries(client, log)
  try {
    // Bulk load: foreign keys and triggers (the report rows' refresh among them) are off for this session; the rows
    // are consistent by construction and the report rows are built once at the end, by the same function.
    await client.query(`set session_replication_role = replica`)
    await run('plan', plan(size))
    await run('users', `
      insert into users (id, name, role, level, compensation_limit, token_hash)
      select md5('agent' || n)::uuid, 'Agent ' || n, 'agent', null, 100, 'bench-agent-' || n from generate_series(1, ${AGENTS}) n
      union all
      select md5('supervisor' || n)::uuid, 'Supervisor ' || n, 'supervisor', 1 + n % 3, 1000, 'bench-supervisor-' || n
      from generate_series(1, ${SUPERVISORS}) n`)
    await run('customers', `
      insert into customers (id, name, phone)
      select md5('customer' || n)::uuid, 'Customer ' || n, '+86139' || lpad(n::text, 8, '0') from generate_series(1, ${customersFor(complaints)}) n`)
    await run('complaints', COMPLAINTS_SQL)
    if (options.timers) await run('timers', TIMERS_SQL)
    let events = 0
    for (const [kind, values] of Object.entries(EVENTS)) {
      const result = await run(`events ${kind}`, `
        insert into complaint_events (complaint_id, seq, type, actor_id, actor_role, at, data)
        select p.id, v.seq, v.type, v.actor, v.role, p.created_at + v.minutes * interval '1 minute', v.data
        from bench_plan p
        cross join lateral (values ${values}) as v(seq, type, actor, role, minutes, data)
        where p.kind = '${kind}'`)
      events += result.rowCount ?? 0
    }
    await client.query(`set session_replication_role = origin`)
    if (options.reportRows) {
      const chunk = 100_000
      for (let from = 1; from <= complaints; from += chunk) {
        await run(`report rows ${from}..${Math.min(complaints, from + chunk - 1)}`,
          `select report_facts_refresh(array(select id from bench_plan where i between ${from} and ${from + chunk - 1}))`)
      }
      // The daily rows, as the first report (or the worker) would rebuild them from the days noted dirty.
      for (let rebuilt = -1; rebuilt !== 0;) {
        const result = await run('report days', 'select report_daily_refresh_dirty(62) as n')
        rebuilt = Number((result.rows[0] as { n: number }).n)
      }
    }
    await run('drop plan', 'drop table bench_plan')
    if (options.analyze) await run('vacuum analyze', 'vacuum (analyze) customers, complaints, complaint_events, timers, report_facts, report_daily, report_dirty_days')
    return { events, seconds: (Date.now() - started) / 1000 }
  } finally {
    await client.end()
  }
}

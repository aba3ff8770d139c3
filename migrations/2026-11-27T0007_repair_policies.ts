import { sql, type Kysely, type RawBuilder } from 'kysely'

// Frozen: never import application code here. The defaults below are the built-in policy's as of this migration.
//
// Before 2026-11-27 the API coerced JSON bodies: `"maxLevel": "1e999"` became Infinity, was saved as null (JSON has no
// Infinity), and every complaint created under it got machine maxLevel null and escalated to level 0. This repairs
// what such policies wrote: stored policies whose fields no longer validate, machine snapshots with a maxLevel or
// follow-up attempts out of range, and escalations at a level below 1 or above the complaint's maximum.

const WORKDAY = [['09:00', '18:30']]
const DEFAULTS: Record<string, unknown> = {
  calendar: {
    timezone: 'UTC',
    week: { mon: WORKDAY, tue: WORKDAY, wed: WORKDAY, thu: WORKDAY, fri: WORKDAY, sat: [], sun: [] },
    holidays: [],
  },
  response: { urgent: 'PT2H', high: 'PT8H', normal: 'P3D', low: 'P5D' },
  businessHours: { urgent: false, high: true, normal: true, low: true },
  warnAt: 0.8,
  triage: 'PT1H',
  escalationAck: 'PT30M',
  escalationResponse: 'P1D',
  followUpAfter: 'PT24H',
  followUpAttempts: 3,
  followUpRetry: 'PT2H',
  maxLevel: 3,
}
const DEFAULT_MAX_LEVEL = 3
const DEFAULT_FOLLOW_UP_ATTEMPTS = 3

const SEVERITIES = ['urgent', 'high', 'normal', 'low']
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
const DURATION = /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isDuration = (v: unknown) => typeof v === 'string' && DURATION.test(v) && /[1-9]/.test(v)
const isIntegerIn = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max
const perSeverity = (v: unknown, ok: (x: unknown) => boolean) =>
  isObject(v) && Object.keys(v).length === SEVERITIES.length && SEVERITIES.every((s) => ok(v[s]))
const isCalendar = (v: unknown) =>
  isObject(v) && typeof v.timezone === 'string' && v.timezone.length > 0 && isObject(v.week) &&
  WEEKDAYS.every((d) => Array.isArray((v.week as Record<string, unknown>)[d]) &&
    ((v.week as Record<string, unknown[]>)[d]!).every((i) => Array.isArray(i) && i.length === 2 && i.every((c) => typeof c === 'string' && CLOCK.test(c)))) &&
  Array.isArray(v.holidays) && v.holidays.every((h) => typeof h === 'string' && DATE.test(h))

const REQUIRED: Record<string, (v: unknown) => boolean> = {
  calendar: isCalendar,
  response: (v) => perSeverity(v, isDuration),
  businessHours: (v) => perSeverity(v, (x) => typeof x === 'boolean'),
  warnAt: (v) => typeof v === 'number' && v > 0 && v < 1,
  triage: isDuration,
  escalationAck: isDuration,
  escalationResponse: isDuration,
  followUpAfter: isDuration,
  followUpAttempts: (v) => isIntegerIn(v, 1, 10),
  followUpRetry: isDuration,
  maxLevel: (v) => isIntegerIn(v, 1, 3),
}
const OPTIONAL: Record<string, (v: unknown) => boolean> = { teamCalendars: isObject, tiers: isObject }

/** The stored policy with each field that does not validate replaced by the default (optional ones dropped). */
export function repairPolicy(stored: unknown): Record<string, unknown> {
  const policy = isObject(stored) ? stored : {}
  const repaired: Record<string, unknown> = {}
  for (const [field, valid] of Object.entries(REQUIRED)) repaired[field] = valid(policy[field]) ? policy[field] : DEFAULTS[field]
  for (const [field, valid] of Object.entries(OPTIONAL)) if (valid(policy[field])) repaired[field] = policy[field]
  for (const [field, value] of Object.entries(policy)) if (field === 'extraWorkdays' && Array.isArray(value)) repaired[field] = value
  return repaired
}

/** SQL: the jsonb value as a number, or null when it is not one (casts guarded: AND does not short-circuit in SQL). */
const num = (value: RawBuilder<unknown>) => sql`(case when jsonb_typeof(${value}) = 'number' then (${value} #>> '{}')::numeric end)`
/** SQL: the jsonb value is an integer from `min` to `max`. */
const integerIn = (value: RawBuilder<unknown>, min: number, max: number) =>
  sql`coalesce(${num(value)} between ${sql.lit(min)} and ${sql.lit(max)} and ${num(value)} % 1 = 0, false)`

export async function up(db: Kysely<any>): Promise<void> {
  const policies = await db.selectFrom('sla_policies').select(['id', 'policy']).execute()
  for (const { id, policy } of policies) {
    const repaired = repairPolicy(policy)
    if (JSON.stringify(repaired) !== JSON.stringify(policy)) {
      await db.updateTable('sla_policies').set({ policy: JSON.stringify(repaired) }).where('id', '=', id).execute()
    }
  }

  const maxLevel = sql`machine_snapshot -> 'context' -> 'maxLevel'`
  await sql`update complaints set machine_snapshot = jsonb_set(machine_snapshot, '{context,maxLevel}', to_jsonb(${sql.lit(DEFAULT_MAX_LEVEL)}))
    where not ${integerIn(maxLevel, 1, 3)}`.execute(db)
  const attempts = sql`machine_snapshot -> 'context' -> 'followUpMaxAttempts'`
  await sql`update complaints
    set machine_snapshot = jsonb_set(machine_snapshot, '{context,followUpMaxAttempts}', to_jsonb(${sql.lit(DEFAULT_FOLLOW_UP_ATTEMPTS)}))
    where not ${integerIn(attempts, 1, 10)}`.execute(db)

  // The machine's level: 0 means never escalated; a complaint with an escalation record is at 1..its maxLevel.
  const level = sql`machine_snapshot -> 'context' -> 'level'`
  const cap = sql`(machine_snapshot #>> '{context,maxLevel}')::int`
  await sql`update complaints
    set machine_snapshot = jsonb_set(machine_snapshot, '{context,level}',
      to_jsonb(coalesce(least(greatest(round(${num(level)})::int, 1), ${cap}), 1)))
    where (jsonb_typeof(escalation) = 'object' and not ${integerIn(level, 1, 3)})
       or coalesce(${num(level)} > ${cap}, false)`.execute(db)
  const recorded = sql`escalation -> 'level'`
  await sql`update complaints
    set escalation = jsonb_set(escalation, '{level}', machine_snapshot -> 'context' -> 'level')
    where jsonb_typeof(escalation) = 'object' and (not ${integerIn(recorded, 1, 3)} or coalesce(${num(recorded)} > ${cap}, false))`
    .execute(db)
}

export async function down(): Promise<void> {
  // A repair has nothing to undo: the values it replaced could not be used.
}

import { Compile } from 'typebox/compile'
import type { FieldError } from '../http/problem.js'
import { calendarProblems } from './calendar.js'
import { DEFAULT_POLICY, durationMs, type Calendar, type SlaPolicy } from './policy.js'
import { LATER_DURATIONS, SlaPolicySchema } from './policy.schemas.js'

/** The calendar arithmetic's own checks (zones, intervals, real dates), as field errors. */
function calendarErrors(calendar: Calendar, field: string): FieldError[] {
  const errors: FieldError[] = calendarProblems(calendar).map((problem) => {
    const split = problem.indexOf(': ')
    const path = problem.slice(0, split).replace(/\[(\d+)\]/g, '.$1')
    return { field: `${field}.${path}`, message: problem.slice(split + 2) }
  })
  if (Object.values(calendar.week).every((intervals) => intervals.length === 0)) {
    errors.push({ field: `${field}.week`, message: 'has no opening hours at all: business-time deadlines could never fall due' })
  }
  return errors
}

/** No deadline is set further ahead than this: a longer duration would overflow the dates computed from it. */
const MAX_DURATION_MS = 366 * 24 * 3_600_000

/** What the schema cannot say: real time zones, intervals that end after they start, durations of 0 < d <= P366D. */
export function policyErrors(policy: SlaPolicy): FieldError[] {
  const errors = calendarErrors(policy.calendar, 'body.calendar')
  for (const [team, calendar] of Object.entries(policy.teamCalendars ?? {})) {
    errors.push(...calendarErrors(calendar, `body.teamCalendars.${team}`))
  }
  const durations: [string, string][] = [
    ...Object.entries(policy.response).map(([severity, d]): [string, string] => [`response.${severity}`, d]),
    ...Object.entries(policy.tiers ?? {}).flatMap(([tier, overrides]) =>
      Object.entries(overrides.response ?? {}).map(([severity, d]): [string, string] => [`tiers.${tier}.response.${severity}`, d!])),
    ['triage', policy.triage], ['escalationAck', policy.escalationAck], ['escalationResponse', policy.escalationResponse],
    ['followUpAfter', policy.followUpAfter], ['followUpRetry', policy.followUpRetry],
    ...LATER_DURATIONS.filter((field) => policy[field] !== undefined).map((field): [string, string] => [field, policy[field]]),
  ]
  for (const [field, value] of durations) {
    const ms = durationMs(value)
    if (!(ms > 0)) errors.push({ field: `body.${field}`, message: 'must be longer than zero' })
    else if (!(ms <= MAX_DURATION_MS)) errors.push({ field: `body.${field}`, message: 'must be at most 366 days (P366D)' })
  }
  return errors
}

const FIELDS = Object.entries(SlaPolicySchema.properties).map(([field, schema]) => [field, Compile(schema)] as const)

/**
 * A stored policy as one that validates: a field that does not (a policy saved before it was checked whole, or written
 * by hand) reads as the built-in default's, an optional one as absent. Complaints, timers and views never see a
 * maxLevel of null or a duration of zero, whatever the table holds; the 2026-11-27 migration repairs the rows too.
 */
export function readablePolicy(stored: unknown): SlaPolicy {
  const given = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>
  const defaults = DEFAULT_POLICY as unknown as Record<string, unknown>
  const policy: Record<string, unknown> = {}
  for (const [field, check] of FIELDS) {
    if (check.Check(given[field])) policy[field] = given[field]
    else if (defaults[field] !== undefined) policy[field] = defaults[field]
  }
  // What the schema cannot say (real zones, intervals in order, durations in range), field by field the same way.
  const wrong = new Set(policyErrors(policy as unknown as SlaPolicy).map((e) => e.field.split('.')[1]!))
  for (const field of wrong) {
    if (defaults[field] !== undefined) policy[field] = defaults[field]
    else delete policy[field]
  }
  return policy as unknown as SlaPolicy
}

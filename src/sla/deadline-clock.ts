import { Duration } from 'luxon'
import { addBusinessTime, businessTimeBetween } from './calendar.js'
import { durationMs, type Calendar, type Severity, type SlaPolicy } from './policy.js'

/** How a complaint's deadlines count time: around the clock, or in its calendar's opening hours. */
export interface DeadlineClock {
  readonly business: boolean
  /** `from` plus an ISO 8601 duration. */
  add(from: Date, iso: string): Date
  /** `from` plus `ms` of counted time. */
  addMs(from: Date, ms: number): Date
  /** Counted time between two instants (0 when `to` is not after `from`). */
  elapsed(from: Date, to: Date): number
}

export interface ClockSubject {
  severity: Severity
  customerTier: string | null
  team: string | null
}

const WALL: DeadlineClock = {
  business: false,
  add: (from, iso) => new Date(from.getTime() + durationMs(iso)),
  addMs: (from, ms) => new Date(from.getTime() + ms),
  elapsed: (from, to) => Math.max(0, to.getTime() - from.getTime()),
}

function minutes(clock: string): number {
  const [h, m] = clock.split(':').map(Number)
  return h! * 60 + m!
}

/**
 * A business day is the calendar's average opening day (over the weekdays that open) and a business week is
 * as many of those days as the week has open days: "P3D" is three working days of opening hours, not 72 hours.
 */
export function businessMs(calendar: Calendar, iso: string): number {
  let known = businessDurations.get(calendar)
  if (!known) {
    known = new Map()
    businessDurations.set(calendar, known)
  }
  let ms = known.get(iso)
  if (ms === undefined) {
    ms = computeBusinessMs(calendar, iso)
    // A policy names a handful of durations; a bound all the same, for calendars kept long.
    if (known.size >= 64) known.clear()
    known.set(iso, ms)
  }
  return ms
}

/** businessMs per calendar object and duration: a policy's calendars are read from memory and never changed. */
const businessDurations = new WeakMap<Calendar, Map<string, number>>()

function computeBusinessMs(calendar: Calendar, iso: string): number {
  const open = Object.values(calendar.week).filter((intervals) => intervals.length > 0)
  const dayMs = open.length === 0 ? 0
    : (open.reduce((sum, intervals) => sum + intervals.reduce((s, [from, to]) => s + minutes(to) - minutes(from), 0), 0) / open.length) * 60_000
  const d = Duration.fromISO(iso)
  if (!d.isValid) throw new Error(`not an ISO 8601 duration: ${iso}`)
  const { weeks = 0, days = 0, hours = 0, minutes: mins = 0, seconds = 0, milliseconds = 0 } = d.toObject()
  return Math.round((weeks * open.length + days) * dayMs + hours * 3_600_000 + mins * 60_000 + seconds * 1_000 + milliseconds)
}

export function responseWindow(policy: SlaPolicy, subject: ClockSubject): string {
  const severity = subject.severity
  return (subject.customerTier ? policy.tiers?.[subject.customerTier]?.response?.[severity] : undefined) ?? policy.response[severity]
}

/** The clocks made from a policy object, by subject: one policy object per version (src/cache/caches.ts). */
const clocks = new WeakMap<SlaPolicy, Map<string, DeadlineClock>>()

export function clockFor(policy: SlaPolicy, subject: ClockSubject): DeadlineClock {
  let made = clocks.get(policy)
  if (!made) {
    made = new Map()
    clocks.set(policy, made)
  }
  const key = `${subject.severity}\u0000${subject.customerTier ?? ''}\u0000${subject.team ?? ''}`
  let clock = made.get(key)
  if (!clock) {
    clock = makeClock(policy, subject)
    // Subjects are severities x tiers x teams: bounded for one policy, a bound all the same.
    if (made.size >= 1_024) made.clear()
    made.set(key, clock)
  }
  return clock
}

/** The calendar a complaint counts in: its team's own, else the policy's. */
export function calendarOf(policy: SlaPolicy, team: string | null): Calendar {
  return (team ? policy.teamCalendars?.[team] : undefined) ?? policy.calendar
}

function makeClock(policy: SlaPolicy, subject: ClockSubject): DeadlineClock {
  const severity = subject.severity
  const business = (subject.customerTier ? policy.tiers?.[subject.customerTier]?.businessHours?.[severity] : undefined)
    ?? policy.businessHours[severity]
  if (!business) return WALL
  const calendar = calendarOf(policy, subject.team)
  return {
    business: true,
    add: (from, iso) => addBusinessTime(calendar, from, businessMs(calendar, iso)),
    addMs: (from, ms) => addBusinessTime(calendar, from, ms),
    elapsed: (from, to) => businessTimeBetween(calendar, from, to),
  }
}

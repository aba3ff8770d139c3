import type { Static } from 'typebox'
import type { CalendarSchema } from './policy.schemas.js'
/**
 * Business-calendar arithmetic: pure functions (no I/O, no clock), exact to the millisecond.
 *
 * Rules:
 * - Each local date opens with the intervals of its weekday in `week`, except that a date in `holidays`
 *   has no opening hours, and a date in `extraWorkdays` opens with Monday's intervals whatever its weekday
 *   (a Saturday or Sunday worked to make up for a holiday, as in Chinese public holidays). A date in both
 *   lists is a holiday: the holiday wins, since opening on a day announced as closed is the worse mistake
 *   (a deadline the team cannot meet) and listing a date twice is more likely a stale entry in the extra list.
 * - Intervals are half-open [from, to) in local wall-clock time, "HH:MM"; "24:00" ends at the next local
 *   midnight. Each boundary is converted to an instant in the calendar's zone for that date, so a day's
 *   length follows daylight saving (00:00-24:00 on a spring-forward day is 23 hours).
 * - A boundary whose local time does not exist (a daylight-saving gap) maps to the instant the clocks jump
 *   (Berlin 2026-03-29 02:30 -> 03:00 CEST); one that exists twice (an overlap) maps to its first occurrence
 *   (Berlin 2026-10-25 02:30 -> 02:30 CEST, 00:30Z). This is "the first instant the wall clock reads that time
 *   or later"; it keeps converted intervals sorted and disjoint. See {@link firstInstantAtOrAfter}.
 * - Intervals of consecutive days that touch (Friday 18:00-24:00 then Saturday 00:00-06:00) form one opening.
 */
import {
  DAY_MS,
  type Zone,
  isValidZone,
  localDayOf,
  localMinutesToInstants,
  zoneFor,
} from './calendar-zone.js'

export type Weekday = keyof BusinessCalendar['week']

/**
 * The policy's calendar (policy.schemas.ts): an IANA zone; opening intervals per weekday, local "HH:MM" to "HH:MM"
 * ("24:00" allowed as an end), sorted, disjoint; holidays, local dates with no opening hours; extraWorkdays, local
 * dates (days off moved onto a weekend) that open with Monday's hours (a holiday wins).
 */
export type BusinessCalendar = Static<typeof CalendarSchema>

export interface OpenInterval {
  start: Date
  end: Date
}

/** A calendar without any opening in this many consecutive days is taken to never open. */
export const MAX_CLOSED_DAYS = 400

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] // index = getUTCDay()
const MONDAY_FIRST: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Problems that make a calendar unusable, as readable messages; empty when the calendar is valid. */
export function calendarProblems(calendar: BusinessCalendar): string[] {
  const problems: string[] = []
  if (!isValidZone(calendar.timezone)) problems.push(`timezone: "${String(calendar.timezone)}" is not an IANA time zone`)
  for (const day of MONDAY_FIRST) {
    const intervals = calendar.week?.[day]
    if (!Array.isArray(intervals)) {
      problems.push(`week.${day}: missing`)
      continue
    }
    let previousEnd = 0
    intervals.forEach((interval, i) => {
      const [from, to] = Array.isArray(interval) ? interval : []
      const start = clockMinutes(from)
      const end = clockMinutes(to)
      if (start === undefined || end === undefined || start === 1440) {
        problems.push(`week.${day}[${i}]: ${JSON.stringify(interval)} is not a pair of "HH:MM" times`)
      } else if (end <= start) {
        problems.push(`week.${day}[${i}]: ${from}-${to} ends before it starts`)
      } else {
        if (start < previousEnd) problems.push(`week.${day}[${i}]: ${from}-${to} overlaps or precedes the interval before it`)
        previousEnd = end
      }
    })
  }
  for (const [field, dates] of [['holidays', calendar.holidays], ['extraWorkdays', calendar.extraWorkdays ?? []]] as const) {
    if (!Array.isArray(dates)) {
      problems.push(`${field}: not a list of dates`)
      continue
    }
    dates.forEach((date, i) => {
      if (!isDate(date)) problems.push(`${field}[${i}]: "${String(date)}" is not a date YYYY-MM-DD`)
    })
  }
  return problems
}

/** Whether the calendar is open at an instant (intervals are half-open: open at 09:00, closed at 18:00). */
export function isOpen(calendar: BusinessCalendar, instant: Date): boolean {
  const compiled = compile(calendar)
  const at = millis(instant, 'instant')
  const day = localDayOf(compiled.zone, at)
  for (let d = day - 1; d <= day + 1; d++) {
    const bounds = dayBounds(compiled, d)
    for (let i = 0; i < bounds.length; i += 2) if (bounds[i]! <= at && at < bounds[i + 1]!) return true
  }
  return false
}

/**
 * The instant when `ms` of opening hours have passed since `start` (start outside opening hours counts
 * from the next opening). ms = 0 -> start if open, else the next opening. With ms > 0 the result is inside
 * an opening or exactly at its end (the deadline is the last instant of the time granted). Fractions of a
 * millisecond are rounded. Throws when the calendar has no opening in {@link MAX_CLOSED_DAYS} days.
 */
export function addBusinessTime(calendar: BusinessCalendar, start: Date, ms: number): Date {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`business time must be a finite number of ms >= 0, got ${ms}`)
  const compiled = compile(calendar)
  const from = millis(start, 'start')
  let remaining = Math.round(ms)
  const openings = openingsFrom(compiled, from, undefined) // endless without a last day: it throws instead
  for (;;) {
    const [open, close] = openings.next().value!
    const begin = Math.max(open, from)
    if (remaining === 0) return new Date(begin)
    if (remaining <= close - begin) return new Date(begin + remaining)
    remaining -= close - begin
  }
}

/** Opening-hours milliseconds between a and b (0 if b <= a). */
export function businessTimeBetween(calendar: BusinessCalendar, a: Date, b: Date): number {
  let total = 0
  for (const { start, end } of clippedOpenings(calendar, a, b)) total += end - start
  return total
}

/**
 * The openings that intersect [from, to), clipped to [from, to), in order, as UTC instants. Openings that
 * touch (one day's 24:00 and the next day's 00:00, or 12:00-13:00 then 13:00-18:00) come back as one.
 * Their lengths add up to {@link businessTimeBetween}.
 */
export function openIntervals(calendar: BusinessCalendar, from: Date, to: Date): OpenInterval[] {
  return clippedOpenings(calendar, from, to).map(({ start, end }) => ({ start: new Date(start), end: new Date(end) }))
}

// ---------------------------------------------------------------------------------------------------------

interface Compiled {
  zone: Zone
  /** Per weekday (0 = Sunday), local minute boundaries [from0, to0, from1, to1, ...]. */
  week: readonly (readonly number[])[]
  holidays: ReadonlySet<string>
  extraWorkdays: ReadonlySet<string>
  /** dayBounds of the days asked for lately, by local day number. */
  days: Map<number, readonly number[]>
}

/** Days whose openings a compiled calendar keeps (a few years: deadlines fall within one of now). */
const KEPT_DAYS = 2_048

/**
 * Each calendar object is checked and compiled once: the policy's calendars come from memory (src/cache/caches.ts),
 * one object per policy version, and are never changed in place. A calendar built for one call compiles each time.
 */
const compiledCalendars = new WeakMap<BusinessCalendar, Compiled>()

function compile(calendar: BusinessCalendar): Compiled {
  const known = compiledCalendars.get(calendar)
  if (known) return known
  const problems = calendarProblems(calendar)
  if (problems.length > 0) throw new Error(`invalid business calendar: ${problems.join('; ')}`)
  const compiled: Compiled = {
    zone: zoneFor(calendar.timezone),
    week: WEEKDAYS.map((day) => calendar.week[day].flatMap(([from, to]) => [clockMinutes(from)!, clockMinutes(to)!])),
    holidays: new Set(calendar.holidays),
    extraWorkdays: new Set(calendar.extraWorkdays ?? []),
    days: new Map(),
  }
  compiledCalendars.set(calendar, compiled)
  return compiled
}

/** A local day's openings as instants [open0, close0, open1, close1, ...], empty ones left out (kept per day). */
function dayBounds(compiled: Compiled, day: number): readonly number[] {
  let bounds = compiled.days.get(day)
  if (!bounds) {
    if (compiled.days.size >= KEPT_DAYS) compiled.days.clear()
    bounds = computeDayBounds(compiled, day)
    compiled.days.set(day, bounds)
  }
  return bounds
}

function computeDayBounds(compiled: Compiled, day: number): number[] {
  const date = new Date(day * DAY_MS)
  const iso = date.toISOString().slice(0, 10)
  if (compiled.holidays.has(iso)) return []
  const minutes = compiled.extraWorkdays.has(iso) ? compiled.week[1]! : compiled.week[date.getUTCDay()]!
  if (minutes.length === 0) return []
  const instants = localMinutesToInstants(compiled.zone, day, minutes)
  const bounds: number[] = []
  for (let i = 0; i < instants.length; i += 2) {
    // A whole interval inside a daylight-saving gap converts to an empty one.
    if (instants[i]! < instants[i + 1]!) bounds.push(instants[i]!, instants[i + 1]!)
  }
  return bounds
}

/**
 * The openings, in order, that end after `from`, day by day from the local day of `from`. With a `lastDay`,
 * stops after that local day; without one, goes on for ever unless {@link MAX_CLOSED_DAYS} consecutive
 * days have no opening, then throws.
 */
function* openingsFrom(compiled: Compiled, from: number, lastDay: number | undefined): Generator<[number, number], undefined> {
  // The day before as well: a clock that falls back over midnight puts early instants of a day before it.
  let closedDays = 0
  for (let day = localDayOf(compiled.zone, from) - 1; lastDay === undefined || day <= lastDay; day++) {
    const bounds = dayBounds(compiled, day)
    if (bounds.length === 0) {
      if (lastDay === undefined && ++closedDays > MAX_CLOSED_DAYS) {
        throw new Error(
          `business calendar (${compiled.zone.name}) has no opening hours in ${MAX_CLOSED_DAYS} consecutive days from ` +
            `${new Date(from).toISOString()}: check its weekly hours, holidays and extra working days`,
        )
      }
      continue
    }
    closedDays = 0
    for (let i = 0; i < bounds.length; i += 2) if (bounds[i + 1]! > from) yield [bounds[i]!, bounds[i + 1]!]
  }
}

function clippedOpenings(calendar: BusinessCalendar, a: Date, b: Date): { start: number; end: number }[] {
  const compiled = compile(calendar)
  const from = millis(a, 'from')
  const to = millis(b, 'to')
  const result: { start: number; end: number }[] = []
  if (to <= from) return result
  // One day past the local day of `to`: a clock that falls back over midnight can put it there.
  for (const [open, close] of openingsFrom(compiled, from, localDayOf(compiled.zone, to) + 1)) {
    if (open >= to) break
    const start = Math.max(open, from)
    const end = Math.min(close, to)
    const last = result.at(-1)
    if (last && last.end === start) last.end = end
    else result.push({ start, end })
  }
  return result
}

function clockMinutes(clock: unknown): number | undefined {
  if (typeof clock !== 'string') return undefined
  const match = CLOCK.exec(clock)
  if (!match) return undefined
  return Number(match[1] ?? match[3]) * 60 + Number(match[2] ?? match[4])
}

function isDate(value: unknown): boolean {
  if (typeof value !== 'string') return false
  const match = DATE.exec(value)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

function millis(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid Date`)
  return ms
}

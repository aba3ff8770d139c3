import fc from 'fast-check'
import { DateTime } from 'luxon'
import t from 'tap'
import {
  type BusinessCalendar,
  type Weekday,
  addBusinessTime,
  businessTimeBetween,
  isOpen,
  openIntervals,
} from '../../src/sla/calendar.js'

const M = 60_000
const H = 60 * M
const DAY = 24 * H
// CALENDAR_RUNS=5000 for a deeper search than the default run.
const RUNS = { numRuns: Number(process.env.CALENDAR_RUNS ?? 200) }

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC']
const DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
// Days where something happens: daylight-saving changes in the zones above (2026), National Day, New Year.
const AROUND = ['2026-03-08', '2026-03-29', '2026-04-05', '2026-10-04', '2026-10-25', '2026-11-01', '2026-10-01', '2026-01-01']
  .map((date) => Date.parse(`${date}T00:00:00Z`))

const clock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** One day's intervals from sorted distinct minute boundaries (0..1440), paired up. */
function hoursFrom(boundaries: number[]): [string, string][] {
  const sorted = [...boundaries].sort((a, b) => a - b)
  const hours: [string, string][] = []
  for (let i = 0; i + 1 < sorted.length; i += 2) hours.push([clock(sorted[i]!), clock(sorted[i + 1]!)])
  return hours
}

/**
 * A day's hours. `minute` draws the boundaries: any minute, quarter hours (so that instants on quarter
 * hours hit boundaries), or the restricted set the oracle needs.
 */
function dayHours(minute: fc.Arbitrary<number>): fc.Arbitrary<[string, string][]> {
  return fc.oneof(
    { arbitrary: fc.constant([] as [string, string][]), weight: 2 },
    { arbitrary: fc.constant([['00:00', '24:00']] as [string, string][]), weight: 1 },
    { arbitrary: fc.constant([['09:00', '12:00'], ['13:00', '18:30']] as [string, string][]), weight: 2 },
    { arbitrary: fc.uniqueArray(minute, { minLength: 2, maxLength: 6 }).map(hoursFrom), weight: 4 },
    // Evenings to 24:00 and an early start, so that consecutive days touch.
    {
      arbitrary: fc.uniqueArray(minute.filter((m) => m > 0 && m < 1440), { minLength: 2, maxLength: 2 }).map((inner) => hoursFrom([0, ...inner, 1440])),
      weight: 2,
    },
  )
}

const anyMinute = fc.oneof(fc.integer({ min: 0, max: 1440 }), fc.integer({ min: 0, max: 96 }).map((q) => q * 15))
// No boundary strictly between 00:00 and 04:00, where these zones change their clocks: there the simple
// "is the wall clock inside an interval" oracle and the documented boundary rule legitimately differ.
const oracleMinute = fc.oneof(fc.constant(0), fc.integer({ min: 16, max: 96 }).map((q) => q * 15))

interface Scenario {
  calendar: BusinessCalendar
  base: number
}

function scenario(minute: fc.Arbitrary<number>): fc.Arbitrary<Scenario> {
  const base = fc.oneof(fc.constantFrom(...AROUND), fc.integer({ min: 0, max: 3 * 365 }).map((d) => Date.UTC(2025, 0, 1) + d * DAY))
  const week = fc.tuple(...DAYS.map(() => dayHours(minute))).map((days) => {
    const week = Object.fromEntries(DAYS.map((day, i) => [day, days[i]!])) as BusinessCalendar['week']
    if (DAYS.every((day) => week[day].length === 0)) week.wed = [['10:00', '11:00']]
    return week
  })
  const dates = fc.uniqueArray(fc.integer({ min: -5, max: 40 }), { maxLength: 8 })
  return fc.record({ zone: fc.constantFrom(...ZONES), week, base, holidays: dates, extra: dates }).map(({ zone, week, base, holidays, extra }) => ({
    base,
    calendar: { timezone: zone, week, holidays: holidays.map((d) => isoDate(base + d * DAY)), extraWorkdays: extra.map((d) => isoDate(base + d * DAY)) },
  }))
}

/** An instant near the scenario's base day: any millisecond, or a quarter hour (often a boundary). */
const offset = fc.oneof(fc.integer({ min: -3 * DAY, max: 10 * DAY }), fc.integer({ min: -3 * 96, max: 10 * 96 }).map((q) => q * 15 * M))
const duration = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 12 * H }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 3 * DAY }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 16 * 4 }).map((q) => q * 15 * M), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: 1000 }), weight: 1 },
)
const positive = duration.map((d) => Math.max(1, d))
const D = (ms: number) => new Date(ms)

t.test('a deadline with ms > 0 lands inside opening hours or exactly at the end of an opening', async (t) => {
  fc.assert(fc.property(scenario(anyMinute), offset, positive, ({ calendar, base }, at, ms) => {
    const start = base + at
    const due = addBusinessTime(calendar, D(start), ms).getTime()
    if (due < start + ms) return false // business time never runs faster than real time
    if (!isOpen(calendar, D(due - 1))) return false // the last millisecond granted is open
    const around = openIntervals(calendar, D(due - DAY), D(due + DAY))
    return around.some(({ start, end }) => start.getTime() < due && due <= end.getTime())
  }), RUNS)
  t.pass('checked')
})

t.test('ms = 0 gives the start when open, else the next opening, with nothing counted in between', async (t) => {
  fc.assert(fc.property(scenario(anyMinute), offset, fc.double({ min: 0, max: 1, noNaN: true }), ({ calendar, base }, at, fraction) => {
    const start = base + at
    const next = addBusinessTime(calendar, D(start), 0).getTime()
    if (isOpen(calendar, D(start))) return next === start
    const inside = start + Math.floor((next - start - 1) * fraction) // in [start, next)
    return next > start && isOpen(calendar, D(next)) && !isOpen(calendar, D(inside)) &&
      businessTimeBetween(calendar, D(start), D(next)) === 0 && businessTimeBetween(calendar, D(start), D(inside)) === 0
  }), RUNS)
  t.pass('checked')
})

t.test('adding a then b equals adding a + b (b > 0)', async (t) => {
  fc.assert(fc.property(scenario(anyMinute), offset, duration, positive, ({ calendar, base }, at, a, b) => {
    const start = D(base + at)
    return addBusinessTime(calendar, addBusinessTime(calendar, start, a), b).getTime() === addBusinessTime(calendar, start, a + b).getTime()
  }), RUNS)
  t.pass('checked')
})

t.test('the business time between a start and its deadline is the time added', async (t) => {
  fc.assert(fc.property(scenario(anyMinute), offset, duration, ({ calendar, base }, at, ms) => {
    const start = D(base + at)
    return businessTimeBetween(calendar, start, addBusinessTime(calendar, start, ms)) === ms
  }), RUNS)
  t.pass('checked')
})

t.test('only opening hours count: the openings of a span add up, their gaps are closed', async (t) => {
  fc.assert(fc.property(scenario(anyMinute), offset, offset, offset, ({ calendar, base }, x, y, z) => {
    const [a, b, c] = [base + x, base + y, base + z].sort((p, q) => p - q) as [number, number, number]
    const between = businessTimeBetween(calendar, D(a), D(c))
    if (between > c - a || businessTimeBetween(calendar, D(c), D(a)) !== 0) return false
    if (between !== businessTimeBetween(calendar, D(a), D(b)) + businessTimeBetween(calendar, D(b), D(c))) return false
    const spans = openIntervals(calendar, D(a), D(c)).map(({ start, end }) => [start.getTime(), end.getTime()] as const)
    if (spans.reduce((sum, [s, e]) => sum + e - s, 0) !== between) return false
    let previousEnd = a
    for (const [s, e] of spans) {
      if (!(s >= previousEnd && s < e && a <= s && e <= c)) return false
      if (!isOpen(calendar, D(s)) || !isOpen(calendar, D(e - 1))) return false
      // The gap before this opening (if any) is closed at both of its ends.
      if (s > previousEnd && (isOpen(calendar, D(previousEnd)) || isOpen(calendar, D(s - 1)))) return false
      if (s > previousEnd && businessTimeBetween(calendar, D(previousEnd), D(s)) !== 0) return false
      if (s === previousEnd && s !== a) return false // touching openings are merged
      previousEnd = e
    }
    return previousEnd === c || !isOpen(calendar, D(previousEnd))
  }), RUNS)
  t.pass('checked')
})

t.test('monotonic: a later start never gives an earlier deadline', async (t) => {
  fc.assert(fc.property(scenario(anyMinute), offset, offset, duration, ({ calendar, base }, x, y, ms) => {
    const [s1, s2] = [base + Math.min(x, y), base + Math.max(x, y)]
    return addBusinessTime(calendar, D(s1), ms).getTime() <= addBusinessTime(calendar, D(s2), ms).getTime()
  }), RUNS)
  t.pass('checked')
})

/**
 * An independent oracle: an instant is open when luxon says its local date and wall-clock time fall inside
 * that date's hours. It shares no code with the calendar module.
 */
function oracleOpen(calendar: BusinessCalendar, instant: number): boolean {
  const local = DateTime.fromMillis(instant, { zone: calendar.timezone })
  const date = local.toISODate()!
  const weekday = DAYS[local.weekday - 1]!
  const hours = calendar.holidays.includes(date) ? [] : calendar.extraWorkdays?.includes(date) ? calendar.week.mon : calendar.week[weekday]
  const ms = local.hour * H + local.minute * M + local.second * 1000 + local.millisecond
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))
  return hours.some(([from, to]) => minutes(from) * M <= ms && ms < minutes(to) * M)
}

t.test('agrees with a wall-clock oracle, daylight-saving days included', async (t) => {
  fc.assert(fc.property(scenario(oracleMinute), offset, ({ calendar, base }, at) => isOpen(calendar, D(base + at)) === oracleOpen(calendar, base + at)), RUNS)
  // Boundaries sit on quarter hours and every zone here is offset by a multiple of 15 minutes, so openness is
  // constant over each UTC quarter hour: sampling each one measures business time exactly.
  const quarter = 15 * M
  fc.assert(fc.property(scenario(oracleMinute), fc.integer({ min: -2 * 96, max: 4 * 96 }), fc.integer({ min: 0, max: 3 * 96 }), ({ calendar, base }, from, length) => {
    const a = base + from * quarter
    let expected = 0
    for (let q = 0; q < length; q++) if (oracleOpen(calendar, a + q * quarter)) expected += quarter
    return businessTimeBetween(calendar, D(a), D(a + length * quarter)) === expected
  }), { numRuns: Math.ceil(RUNS.numRuns * 0.75) })
  t.pass('checked')
})

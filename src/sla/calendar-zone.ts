import { IANAZone } from 'luxon'

/**
 * Wall clock <-> instant arithmetic for one IANA zone, in plain milliseconds.
 *
 * A "local" value is the wall-clock reading written as if it were UTC: local 2026-03-29 02:30 is
 * `Date.UTC(2026, 2, 29, 2, 30)`. A local day number is `floor(local / DAY_MS)` (0 = 1970-01-01).
 */

export const DAY_MS = 86_400_000
const MINUTE_MS = 60_000

export interface Zone {
  readonly name: string
  /** Offset from UTC in ms at an instant (positive east of Greenwich). */
  offsetAt(instant: number): number
}

export function isValidZone(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && IANAZone.create(name).isValid
}

export function zoneFor(name: string): Zone {
  const zone = IANAZone.create(name)
  if (!zone.isValid) throw new Error(`business calendar: "${name}" is not an IANA time zone`)
  return { name, offsetAt: (instant) => Math.round(zone.offset(instant) * MINUTE_MS) }
}

/** The local (wall-clock) day number an instant falls on. */
export function localDayOf(zone: Zone, instant: number): number {
  return Math.floor((instant + zone.offsetAt(instant)) / DAY_MS)
}

/**
 * The first instant at which the zone's wall clock reads `local` or later.
 *
 * - On an ordinary day that is the one instant showing `local`.
 * - In a gap (clocks jump forward, `local` never shows) it is the instant of the jump: Berlin
 *   2026-03-29 02:30 maps to 03:00 CEST (01:00Z).
 * - In an overlap (clocks fall back, `local` shows twice) it is the first occurrence: Berlin
 *   2026-10-25 02:30 maps to 02:30 CEST (00:30Z).
 *
 * Unlike luxon's own resolution (a gap time is pushed forward by the gap's length, an overlap takes the
 * later offset), this map never decreases as `local` increases, so sorted local intervals stay sorted,
 * never overlap and never reverse once converted to instants.
 *
 * Like the Temporal polyfill, it assumes at most one offset change within a day of `local`.
 */
export function firstInstantAtOrAfter(zone: Zone, local: number): number {
  const before = zone.offsetAt(local - DAY_MS)
  const after = zone.offsetAt(local + DAY_MS)
  let found = Number.POSITIVE_INFINITY
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = local - offset
    if (zone.offsetAt(instant) === offset && instant < found) found = instant
  }
  if (found !== Number.POSITIVE_INFINITY) return found
  // A gap: the wall clock jumps over `local` between these two instants. Find the jump to the ms.
  let lo = local - Math.max(before, after) // shows a time before `local`
  let hi = local - Math.min(before, after) // shows a time after `local`
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (mid + zone.offsetAt(mid) >= local) hi = mid
    else lo = mid
  }
  return hi
}

/**
 * Converts the local minutes of one local day (0..1440, sorted) into instants with
 * {@link firstInstantAtOrAfter}. When the offset is the same a day either side of the local day, no
 * change happens on it and every minute converts with that offset (two lookups per day instead of
 * several per boundary).
 */
export function localMinutesToInstants(zone: Zone, day: number, minutes: readonly number[]): number[] {
  const midnight = day * DAY_MS
  const before = zone.offsetAt(midnight - DAY_MS)
  const after = zone.offsetAt(midnight + 2 * DAY_MS)
  if (before === after) return minutes.map((m) => midnight + m * MINUTE_MS - before)
  return minutes.map((m) => firstInstantAtOrAfter(zone, midnight + m * MINUTE_MS))
}

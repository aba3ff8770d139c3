import { percentiles } from './percentiles.js'
import type { Figures } from './reports.schemas.js'
import { compareKeys } from './summary-keys.js'

// The figures of one group (or the total) from its counts, resolution times and compensation rows: every figure is
// defined in docs/reports.md.

/** One group's row as the report's statement answers it. */
export interface GroupRow {
  key: string | null
  received: number
  closed: number
  resolved: number
  onTheSpot: number
  withinDeadline: number
  escalated: number
  maxLevel: number
  reopened: number
  followedUp: number
  rated: number
  satisfactionSum: number
  satisfied: number
  extended: number
  withinOriginal: number
  transfers: number
  sentBack: number
  repeatContacts: number
  incidentLinked: number
  seconds: Buffer | null
  kinds: string[] | null
  counts: number[] | null
  amounts: string[] | null
  dirty: number
}

export type Counts = Omit<GroupRow, 'key' | 'seconds' | 'kinds' | 'counts' | 'amounts' | 'dirty'>

export const COUNT_FIELDS = [
  'received', 'closed', 'resolved', 'onTheSpot', 'withinDeadline', 'escalated', 'reopened', 'followedUp', 'rated',
  'satisfactionSum', 'satisfied', 'extended', 'withinOriginal', 'transfers', 'sentBack', 'repeatContacts', 'incidentLinked',
] as const

const rate = (numerator: number, denominator: number) => (denominator === 0 ? null : numerator / denominator)

const minutes = (seconds: number | null) => (seconds === null ? null : Math.round((seconds / 60) * 100) / 100)

export function figures(counts: Counts, seconds: Int32Array, compensation: Figures['compensation']): Figures {
  const [p50 = null, p90 = null] = percentiles(seconds, [0.5, 0.9])
  return {
    received: counts.received,
    closed: counts.closed,
    resolved: counts.resolved,
    resolvedOnTheSpot: counts.onTheSpot,
    onTheSpotRate: rate(counts.onTheSpot, counts.resolved),
    withinDeadlineRate: rate(counts.withinDeadline, counts.resolved),
    withinOriginalPromiseRate: rate(counts.withinOriginal, counts.resolved),
    extendedRate: rate(counts.extended, counts.received),
    escalated: counts.escalated,
    escalationRate: rate(counts.escalated, counts.received),
    maxLevel: counts.maxLevel,
    reopened: counts.reopened,
    reopenRate: rate(counts.reopened, counts.resolved),
    transfers: counts.transfers,
    sentBack: counts.sentBack,
    repeatContactRate: rate(counts.repeatContacts, counts.received),
    incidentShare: rate(counts.incidentLinked, counts.received),
    followUpCoverage: rate(counts.followedUp, counts.resolved),
    satisfactionAvg: counts.rated === 0 ? null : counts.satisfactionSum / counts.rated,
    satisfiedShare: rate(counts.satisfied, counts.rated),
    resolutionMinutes: { p50: minutes(p50), p90: minutes(p90) },
    compensation,
  }
}

export function compensationOf(rows: Pick<GroupRow, 'kinds' | 'counts' | 'amounts'>[]): Figures['compensation'] {
  const byKind = new Map<string, { count: number; cents: number }>()
  for (const row of rows) {
    row.kinds?.forEach((kind, i) => {
      const entry = byKind.get(kind) ?? { count: 0, cents: 0 }
      entry.count += row.counts![i]!
      // Amounts are numeric(…, 2) at most: added in cents, exactly.
      entry.cents += Math.round(Number(row.amounts![i]) * 100)
      byKind.set(kind, entry)
    })
  }
  return Object.fromEntries([...byKind].sort(([a], [b]) => compareKeys(a, b)).map(([kind, e]) => [kind, { count: e.count, amount: e.cents / 100 }]))
}

export function countsOf(row: GroupRow): Counts {
  const counts = { maxLevel: row.maxLevel } as Counts
  for (const field of COUNT_FIELDS) counts[field] = Number(row[field])
  return counts
}

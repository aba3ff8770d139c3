import { Duration } from 'luxon'

export type Severity = 'low' | 'normal' | 'high' | 'urgent'
export const SEVERITIES: readonly Severity[] = ['low', 'normal', 'high', 'urgent']

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'
export interface Calendar {
  timezone: string
  week: Record<Weekday, [string, string][]>
  holidays: string[]
  /** Days off moved onto a weekend: these dates open with Monday's hours. */
  extraWorkdays?: string[]
}

export interface TierOverrides {
  response?: Partial<Record<Severity, string>>
  businessHours?: Partial<Record<Severity, boolean>>
}

export interface SlaPolicy {
  calendar: Calendar
  /** A team's own calendar (its zone, hours, holidays) instead of the policy's. */
  teamCalendars?: Record<string, Calendar>
  response: Record<Severity, string>
  businessHours: Record<Severity, boolean>
  /** Per customer tier, response windows and business-hour counting that differ from the severity's. */
  tiers?: Record<string, TierOverrides>
  warnAt: number
  triage: string
  escalationAck: string
  escalationResponse: string
  followUpAfter: string
  followUpAttempts: number
  followUpRetry: string
  maxLevel: number
  /** How far past the promise in force an extension may move it. */
  maxExtension: string
  /** How far ahead of now an explicit promise may be made. */
  maxPromise: string
  /** While the hotline waits for the customer: when they are reminded, and when the complaint closes as no_response. */
  awaitingReminderAfter: string
  awaitingCloseAfter: string
  /** Who records a resolved complaint's follow-up call: anyone but the agent who resolved it (default), or anyone. */
  followUpBy: 'not_resolver' | 'anyone'
  /** How long after a transfer the receiving team may send it back. */
  sendBackWithin: string
  /** How long after it closed a complaint may be reopened, and a new one of the same customer and category is a repeat. */
  reopenWithin: string
}

const WORKDAY: [string, string][] = [['09:00', '18:30']]

/**
 * The policy in force until an admin sets one. Time counts around the clock for now: the calendar is
 * stored so that business-hour counting can use it without a change of shape.
 */
export const DEFAULT_POLICY: SlaPolicy = {
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
  maxExtension: 'P30D',
  maxPromise: 'P90D',
  awaitingReminderAfter: 'P2D',
  awaitingCloseAfter: 'P7D',
  followUpBy: 'not_resolver',
  sendBackWithin: 'PT2H',
  reopenWithin: 'P7D',
}

export function durationMs(iso: string): number {
  const duration = Duration.fromISO(iso)
  if (!duration.isValid) throw new Error(`not an ISO 8601 duration: ${iso}`)
  // Calendar units (months, years) are refused at the schema; days count as 24 hours here.
  return duration.shiftTo('milliseconds').milliseconds
}

export function addDuration(from: Date, iso: string): Date {
  return new Date(from.getTime() + durationMs(iso))
}

import { Duration } from 'luxon'
import type { Static } from 'typebox'
import type { AddedLaterField, SlaPolicySchema } from './policy.schemas.js'

export const SEVERITIES = ['low', 'normal', 'high', 'urgent'] as const
export type Severity = (typeof SEVERITIES)[number]

export type { BusinessCalendar as Calendar, Weekday } from './calendar.js'

/** A policy as an admin saved it: the fields added later (ADDED_LATER) may be absent from an older one. */
export type StoredSlaPolicy = Static<typeof SlaPolicySchema>
/** The policy in force: what a saved one lacks is filled from DEFAULT_POLICY (policy.validation.ts). */
export type SlaPolicy = StoredSlaPolicy & Required<Pick<StoredSlaPolicy, AddedLaterField>>

const WORKDAY: [string, string][] = [['09:00', '18:30']]

/**
 * The policy in force until an admin sets one, and what fills the fields a saved policy lacks. Urgent complaints
 * count around the clock; the others in the calendar's opening hours (docs/business-time.md).
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

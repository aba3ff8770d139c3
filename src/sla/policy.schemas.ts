import Type, { type TOptional, type TUnsafe } from 'typebox'
import { DateTime } from '../http/schemas.js'
import { DEFAULT_POLICY } from './policy.js'

// Weeks, days, hours, minutes, seconds: calendar months and years have no fixed length and are refused.
const ISO_DURATION = '^P(?!$)(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$'
const IsoDuration = Type.String({
  pattern: ISO_DURATION,
  description: 'ISO 8601 duration in weeks, days, hours, minutes and seconds, e.g. PT2H, P3D, PT3S; longer than zero, at most P366D',
  examples: ['PT2H'],
})
const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$', description: 'HH:MM, 24:00 ends a day' })
// [from, to] as a two-item array: OpenAPI 3.1 tools choke on the draft-07 tuple TypeBox would emit. Typed as the pair
// it is (the schema is unchanged).
const Interval = Type.Array(Clock, { minItems: 2, maxItems: 2, description: '[from, to]' }) as unknown as TUnsafe<[string, string]>
const Intervals = Type.Array(Interval, { maxItems: 6 })
const PerSeverity = <T extends Parameters<typeof Type.Object>[0][string]>(schema: T) =>
  Type.Object({ urgent: schema, high: schema, normal: schema, low: schema }, { additionalProperties: false })

const Dates = (description: string) => Type.Array(Type.String({ format: 'date' }), { maxItems: 400, uniqueItems: true, description })
export const CalendarSchema = Type.Object(
  {
    timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Asia/Shanghai' }),
    week: Type.Object(
      { mon: Intervals, tue: Intervals, wed: Intervals, thu: Intervals, fri: Intervals, sat: Intervals, sun: Intervals },
      { additionalProperties: false },
    ),
    holidays: Dates('local dates with no opening hours'),
    extraWorkdays: Type.Optional(Dates("days off moved onto a weekend: they open with Monday's hours")),
  },
  { additionalProperties: false },
)
const SomeSeverities = <T extends Parameters<typeof Type.Object>[0][string]>(schema: T) =>
  Type.Object(
    { urgent: Type.Optional(schema), high: Type.Optional(schema), normal: Type.Optional(schema), low: Type.Optional(schema) },
    { additionalProperties: false },
  )

const durationOf = (description: string) => Type.String({ pattern: ISO_DURATION, description: `ISO 8601 duration; ${description}` })

// Fields added after the first policies were saved: optional in a PUT, the built-in default when absent, always
// answered by GET.
const ADDED_LATER = {
  maxExtension: durationOf('how far past the promise in force an extension may move it (default P30D)'),
  maxPromise: durationOf('how far ahead of now an explicit promisedBy may be (default P90D)'),
  awaitingReminderAfter: durationOf('waiting for the customer: when they are reminded (default P2D)'),
  awaitingCloseAfter: durationOf('waiting for the customer: when the complaint closes as no_response (default P7D)'),
  followUpBy: Type.Union([Type.Literal('not_resolver'), Type.Literal('anyone')], {
    description: 'who records the follow-up call: not_resolver (default: anyone but the agent who resolved it; a supervisor always may) or anyone',
  }),
  sendBackWithin: durationOf('how long after a transfer the receiving team may send it back (default PT2H)'),
  reopenWithin: durationOf('how long after it closed a complaint may be reopened, and a new one of the same customer and category counts as a repeat (default P7D)'),
}
type AddedLater = typeof ADDED_LATER
export type AddedLaterField = keyof AddedLater

/** The durations among them, for the checks the schema cannot make (policy.validation.ts). */
export const LATER_DURATIONS = (Object.keys(ADDED_LATER) as (keyof AddedLater)[])
  .filter((field): field is Exclude<keyof AddedLater, 'followUpBy'> => field !== 'followUpBy')

const optionalAll = (fields: AddedLater) =>
  Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, Type.Optional(schema)])) as
    { [K in keyof AddedLater]: TOptional<AddedLater[K]> }

export const SlaPolicySchema = Type.Object(
  {
    calendar: CalendarSchema,
    teamCalendars: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 100 }), CalendarSchema, {
      description: "a team's own calendar instead of the policy's",
    })),
    response: PerSeverity(IsoDuration),
    businessHours: PerSeverity(Type.Boolean()),
    tiers: Type.Optional(Type.Record(
      Type.String({ minLength: 1, maxLength: 50 }),
      Type.Object({ response: Type.Optional(SomeSeverities(IsoDuration)), businessHours: Type.Optional(SomeSeverities(Type.Boolean())) },
        { additionalProperties: false }),
      { description: 'per customer tier: response windows and business-hour counting that differ from the defaults' },
    )),
    warnAt: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    triage: IsoDuration,
    escalationAck: IsoDuration,
    escalationResponse: IsoDuration,
    followUpAfter: IsoDuration,
    followUpAttempts: Type.Integer({ minimum: 1, maximum: 10 }),
    followUpRetry: IsoDuration,
    maxLevel: Type.Integer({ minimum: 1, maximum: 3 }),
    ...optionalAll(ADDED_LATER),
  },
  { $id: 'SlaPolicy', additionalProperties: false },
)

export const SlaPolicyResponse = Type.Object(
  {
    ...SlaPolicySchema.properties,
    // Always answered: the built-in defaults fill what a stored policy lacks.
    ...ADDED_LATER,
    version: Type.Integer({ minimum: 0, description: '0 while the built-in default is in force' }),
    updatedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
)

const WORKDAY: [string, string][] = [['09:00', '12:00'], ['13:00', '18:00']]
// The built-in policy in Shanghai's calendar (a National Day week, a make-up Sunday), gold customers answered sooner.
const POLICY_EXAMPLE = {
  ...DEFAULT_POLICY,
  calendar: {
    timezone: 'Asia/Shanghai',
    week: { mon: WORKDAY, tue: WORKDAY, wed: WORKDAY, thu: WORKDAY, fri: WORKDAY, sat: [], sun: [] },
    holidays: ['2026-10-01', '2026-10-02', '2026-10-05'],
    extraWorkdays: ['2026-09-27'],
  },
  tiers: { gold: { response: { normal: 'P1D' } } },
  version: 4,
}

/** What PUT accepts: the policy, or what GET answered (`version` checked like If-Match; `updatedAt` ignored). */
export const SlaPolicyPut = Type.Object(
  {
    ...SlaPolicySchema.properties,
    version: Type.Optional(Type.Integer({ minimum: 0, description: 'the version you read: a newer one in force answers 412 version_conflict' })),
    updatedAt: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'read-only: ignored' })),
  },
  { additionalProperties: false, examples: [POLICY_EXAMPLE] },
)

import Type from 'typebox'
import { DateTime } from '../http/schemas.js'

// Weeks, days, hours, minutes, seconds: calendar months and years have no fixed length and are refused.
const IsoDuration = Type.String({
  pattern: '^P(?!$)(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$',
  description: 'ISO 8601 duration in weeks, days, hours, minutes and seconds, e.g. PT2H, P3D, PT3S',
  examples: ['PT2H'],
})
const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$', description: 'HH:MM, 24:00 ends a day' })
// [from, to] as a two-item array: OpenAPI 3.1 tools choke on the draft-07 tuple TypeBox would emit.
const Interval = Type.Array(Clock, { minItems: 2, maxItems: 2, description: '[from, to]' })
const Intervals = Type.Array(Interval, { maxItems: 6 })
const PerSeverity = <T extends Parameters<typeof Type.Object>[0][string]>(schema: T) =>
  Type.Object({ urgent: schema, high: schema, normal: schema, low: schema }, { additionalProperties: false })

export const SlaPolicySchema = Type.Object(
  {
    calendar: Type.Object(
      {
        timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Asia/Shanghai' }),
        week: Type.Object(
          { mon: Intervals, tue: Intervals, wed: Intervals, thu: Intervals, fri: Intervals, sat: Intervals, sun: Intervals },
          { additionalProperties: false },
        ),
        holidays: Type.Array(Type.String({ format: 'date' }), { maxItems: 400, uniqueItems: true }),
      },
      { additionalProperties: false },
    ),
    response: PerSeverity(IsoDuration),
    businessHours: PerSeverity(Type.Boolean()),
    warnAt: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    triage: IsoDuration,
    escalationAck: IsoDuration,
    escalationResponse: IsoDuration,
    followUpAfter: IsoDuration,
    followUpAttempts: Type.Integer({ minimum: 1, maximum: 10 }),
    followUpRetry: IsoDuration,
    maxLevel: Type.Integer({ minimum: 1, maximum: 3 }),
  },
  { $id: 'SlaPolicy', additionalProperties: false },
)

export const SlaPolicyResponse = Type.Object(
  {
    ...SlaPolicySchema.properties,
    version: Type.Integer({ minimum: 0, description: '0 while the built-in default is in force' }),
    updatedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
)

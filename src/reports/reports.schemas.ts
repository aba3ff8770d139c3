import Type, { type Static } from 'typebox'
import { Customer } from '../complaints/complaint.schemas.js'
import { DateTime } from '../http/schemas.js'
import { pagingQuery } from '../http/paging.js'

export const GROUP_BY = ['category', 'channel', 'severity', 'team', 'region', 'product', 'agent', 'month', 'day', 'incident'] as const
export type GroupBy = (typeof GROUP_BY)[number]
const GroupBySchema = Type.Unsafe<GroupBy>(Type.Union(GROUP_BY.map((g) => Type.Literal(g))))

/** groupBy=day answers one group per day: a period longer than this is refused. */
export const MAX_DAYS_BY_DAY = 366

const Count = (description: string) => Type.Integer({ minimum: 0, description })
const Rate = (description: string) => Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description })

/** A period bound: an RFC 3339 instant, or a calendar date meaning the start of that day in `tz`. */
const Bound = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })], { description })

export const SummaryQuery = Type.Object(
  {
    from: Bound('start of the period, inclusive: complaints received at or after it (a date is midnight in tz)'),
    to: Bound('end of the period, exclusive: complaints received before it (a date is midnight in tz)'),
    groupBy: Type.Optional(Type.Unsafe<GroupBy>(Type.Union(GROUP_BY.map((g) => Type.Literal(g)), {
      description: 'one group per value; agent = who logged the complaint; month = month of receipt in tz (YYYY-MM); ' +
        `day = day of receipt in tz (YYYY-MM-DD; a period of at most ${MAX_DAYS_BY_DAY} days); incident = the incident it is linked to (null: none)`,
    }))),
    tz: Type.Optional(Type.String({
      minLength: 1, maxLength: 64, default: 'UTC',
      description: 'IANA time zone for groupBy=month and groupBy=day and for date-only from/to (default UTC)',
    })),
  },
  { additionalProperties: false },
)
export type SummaryQuery = Static<typeof SummaryQuery>

const CompensationFigure = Type.Object(
  { count: Count('resolutions that granted this kind'), amount: Type.Number({ minimum: 0, description: 'sum of their amounts (missing amounts count 0)' }) },
  { additionalProperties: false },
)

const figureProperties = {
  received: Count('complaints received in the period'),
  closed: Count('of those, now closed (any close reason)'),
  resolved: Count('of those, resolved at least once'),
  resolvedOnTheSpot: Count('first resolution came before any escalation (from logged), and the complaint is not a repeat contact (repeatOf)'),
  onTheSpotRate: Rate('resolvedOnTheSpot / resolved'),
  withinDeadlineRate: Rate('first resolution at or before the promise in force then / resolved'),
  withinOriginalPromiseRate: Rate('first resolution at or before the first promise made (before any extension) / resolved'),
  extendedRate: Rate('complaints whose promise was extended (an approved extension) / received'),
  escalated: Count('escalated at least once (by hand or by a missed deadline)'),
  escalationRate: Rate('escalated / received'),
  maxLevel: Type.Integer({ minimum: 0, description: 'highest escalation level reached (0: none)' }),
  reopened: Count('reopened at least once, by an unsatisfied follow-up or POST /reopen'),
  reopenRate: Rate('reopened / resolved'),
  transfers: Count('transfers to another team of these complaints (each transfer counts)'),
  sentBack: Count('of those transfers, sent back by the receiving team'),
  repeatContactRate: Rate('repeat contacts (received within policy.reopenWithin of a closed complaint of the same customer and category: repeatOf) / received'),
  incidentShare: Rate('complaints linked to an incident (incidentId) / received'),
  followUpCoverage: Rate('resolved complaints with a follow-up call recorded / resolved'),
  satisfactionAvg: Type.Union([Type.Number({ minimum: 1, maximum: 5 }), Type.Null()], {
    description: 'average of each rated complaint\'s last satisfaction rating (1..5)',
  }),
  satisfiedShare: Rate('rated complaints whose last rating is 4 or 5 / rated complaints'),
  resolutionMinutes: Type.Object(
    {
      p50: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
      p90: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    },
    { additionalProperties: false, description: 'minutes from receipt to first resolution: median and 90th percentile (linear interpolation)' },
  ),
  compensation: Type.Record(Type.String(), CompensationFigure, {
    description: 'compensation granted by every resolution, by kind',
  }),
}

export const Figures = Type.Object(figureProperties, { additionalProperties: false })
export type Figures = Static<typeof Figures>

export const SummaryGroup = Type.Object(
  {
    key: Type.Union([Type.String(), Type.Null()], { description: 'the group\'s value; null: complaints without one' }),
    name: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'groupBy=agent: the user\'s name; groupBy=incident: the incident\'s reference and title' })),
    ...figureProperties,
  },
  { additionalProperties: false },
)
export type SummaryGroup = Static<typeof SummaryGroup>

export const SummaryReport = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    groupBy: Type.Union([GroupBySchema, Type.Null()]),
    tz: Type.String(),
    total: Figures,
    groups: Type.Array(SummaryGroup, { description: 'groups with at least one complaint received, by key (null last)' }),
  },
  { additionalProperties: false },
)
export type SummaryReport = Static<typeof SummaryReport>

export const RepeatQuery = Type.Object(
  {
    min: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 2, description: 'at least this many complaints' })),
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_660, default: 30, description: 'received in the last this many days' })),
    ...pagingQuery(1_000, 100),
  },
  { additionalProperties: false },
)
export type RepeatQuery = Static<typeof RepeatQuery>

export const RepeatComplainant = Type.Object(
  {
    customer: Customer,
    complaints: Type.Integer({ minimum: 1, description: 'complaints received in the window' }),
    categories: Type.Array(Type.String(), { description: 'their distinct categories, sorted' }),
    lastComplaintAt: DateTime,
  },
  { additionalProperties: false },
)
export type RepeatComplainant = Static<typeof RepeatComplainant>

export const RepeatReport = Type.Object(
  {
    min: Type.Integer(),
    days: Type.Integer(),
    since: DateTime,
    total: Type.Integer({ minimum: 0, description: 'customers that qualify, on every page (items holds at most limit of them)' }),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null: this is the last' }),
    items: Type.Array(RepeatComplainant, { description: 'most complaints first, then the most recent' }),
  },
  { additionalProperties: false },
)
export type RepeatReport = Static<typeof RepeatReport>

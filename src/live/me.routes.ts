import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { cachesOf } from '../cache/caches.js'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import type { ComplaintRow } from '../db/tables.js'
import { after, cursorTime, decodeCursor, orderOf, pageFrom, pageOf, pagingQuery, type SortKey } from '../http/paging.js'
import { problems } from '../http/problem.js'
import { DateTime, json, problemResponses } from '../http/schemas.js'
import { clockFor } from '../sla/deadline-clock.js'
import { PENDING_SQL } from '../timers/timers.repository.js'
import { concerns, parseFeedId, replayFeed, type FeedMessage } from './feed.js'
import { isFeedEvent } from './live-events.js'
import type { LiveHub } from './live-hub.js'
import { eventStreamResponse, LastEventIdHeaders, lastEventIdOf, liveAfterReplay, OpenStreams, StreamQuery, streamSecurity, TICKET_NOTE } from './sse.js'

const AtRiskQuery = Type.Object(
  {
    scope: Type.Optional(Type.Union([Type.Literal('mine'), Type.Literal('teams')], {
      default: 'mine',
      description: "mine: the complaints the caller holds; teams (supervisors): every open complaint of the caller's teams",
    })),
    ...pagingQuery(200, 50),
  },
  { additionalProperties: false },
)

/** The soonest deadline first. */
const AT_RISK_KEYS: SortKey[] = [
  { expr: sql`t.due_at`, dir: 'asc', kind: 'time' },
  { expr: sql`c.id`, dir: 'asc', kind: 'uuid' },
]

const AtRiskItem = Type.Object(
  {
    complaint: Type.Ref('Complaint'),
    deadline: Type.Union([Type.Literal('response'), Type.Literal('escalation_response')], {
      description: "response: the promise to the customer; escalation_response: a supervisor's own deadline after acknowledging",
    }),
    promisedBy: Type.Union([DateTime, Type.Null()]),
    dueAt: DateTime,
    remaining: Type.String({ description: 'ISO 8601 duration until dueAt, in business time where the complaint counts it; PT0S once due', examples: ['PT3H20M'] }),
    warned: Type.Boolean({ description: 'the warning before this deadline has fired' }),
  },
  { additionalProperties: false },
)

/** Whole seconds as an ISO 8601 duration in hours, minutes and seconds (PT0S for none). */
export function isoRemaining(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60]
  if (seconds === 0) return 'PT0S'
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`
}

/** A complaint's row with its pending deadline (column names no complaint column has). */
type AtRiskRow = ComplaintRow & {
  deadlineKind: 'response' | 'escalation_response'
  deadlineDueAt: Date
  warned: boolean
  cursorAt: string
}

/** GET /v1/me/stream and GET /v1/me/at-risk: what concerns the caller, pushed and listed. */
const meRoutes: FastifyPluginAsyncTypebox<{ hub: LiveHub; clock?: () => Date }> = async (app, { hub, clock }) => {
  const now = () => clock?.() ?? new Date()
  const streams = new OpenStreams()
  app.addHook('preClose', async () => streams.endAll())

  app.get('/v1/me/stream', {
    config: { roles: ['agent', 'supervisor'], streamTicket: true },
    schema: {
      operationId: 'streamMyFeed',
      tags: ['escalations'],
      summary: "Server-Sent Events of what concerns the caller (the agent's own feed)",
      description: 'Events: `deadline.warning` and `deadline.response_missed` for complaints the caller holds, ' +
        '`escalation.assigned` and `follow_up.due` routed to them, `promise.extension_requested` they may decide, ' +
        '`promise.extended` and `promise.extension_refused` for their requests. Each message has an `id:`; reconnecting ' +
        'with `Last-Event-ID` replays, from Postgres, what followed it (up to 24 hours back, starting a few seconds ' +
        'before the id so that nothing committed late is lost: drop ids already seen), then `: connected`, then live ' +
        'events. `: ping` comments keep the stream alive. ' + TICKET_NOTE,
      security: streamSecurity(),
      querystring: StreamQuery,
      headers: LastEventIdHeaders,
      response: {
        200: eventStreamResponse('An event stream; each `data:` is a JSON FeedMessage'),
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const user = request.user
    const after = lastEventIdOf(request, parseFeedId)
    let unsubscribe = () => {}
    const stream = streams.open(request, reply, () => unsubscribe())
    await liveAfterReplay<FeedMessage>({
      stream,
      subscribe: async (deliver) => {
        unsubscribe = await hub.add((event) => {
          if (isFeedEvent(event) && concerns(event.audience, user)) deliver(event.feed)
        })
      },
      replay: after ? () => replayFeed(app.db, user, after.at, now()) : undefined,
      send: (message) => stream.send(message.type, message, message.id),
    })
  })

  app.get('/v1/me/at-risk', {
    config: { roles: ['agent', 'supervisor'] },
    schema: {
      operationId: 'listMyAtRisk',
      tags: ['escalations'],
      summary: "The caller's (or their teams') open complaints with a pending response deadline, the soonest first",
      description: "scope=mine (default): a complaint the caller holds, logged and assigned to them or escalated to them. " +
        "scope=teams (supervisors only, else 403): every logged or escalated complaint of the caller's teams (none when " +
        'they have no team). Keyset-paginated: pass `nextCursor` as `cursor`.',
      querystring: AtRiskQuery,
      response: {
        200: json(pageOf(AtRiskItem), 'A page of deadlines'),
        ...problemResponses(),
      },
    },
  }, async (request) => {
    const user = request.user
    const { scope = 'mine', limit = 50, cursor } = request.query
    if (scope === 'teams' && user.role !== 'supervisor') throw problems.forbidden("scope=teams is for supervisors (their teams' promises)")
    const whose = scope === 'mine'
      ? sql`((c.state = 'logged' and c.assignee_id = ${user.id}) or (c.state = 'escalated' and c.escalation ->> 'assigneeId' = ${user.id}))`
      // Open complaints by state (an index), then the team: a supervisor's teams hold a small share of them.
      : sql`c.state in ('logged', 'escalated') and c.team = any(${[...user.teams]}::text[])`
    // From the caller's open complaints (an index on the assignee, or on the escalation's), then each one's pending
    // deadline: a few dozen probes, never a walk of every pending timer by due time.
    const { rows } = await sql<AtRiskRow>`
      select c.*, t.kind as deadline_kind, t.due_at as deadline_due_at, ${cursorTime(sql`t.due_at`)} as cursor_at,
        exists (select 1 from timers w where w.complaint_id = c.id and w.kind = 'response_warning' and w.armed_seq = t.armed_seq
          and w.fired_at is not null) as warned
      from complaints c
      cross join lateral (
        select t.kind, t.due_at, t.armed_seq from timers t
        where t.complaint_id = c.id and t.kind in ('response', 'escalation_response') and ${sql.raw(PENDING_SQL('t'))}
        order by t.due_at limit 1
      ) t
      where ${whose}
        ${cursor ? sql`and ${after(AT_RISK_KEYS, decodeCursor(cursor, AT_RISK_KEYS))}` : sql``}
      order by ${orderOf(AT_RISK_KEYS)}
      limit ${limit + 1}`.execute(app.db)
    const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.cursorAt, row.id])
    const records = await loadRecords(app.db, page.map(({ deadlineKind: _k, deadlineDueAt: _d, warned: _w, cursorAt: _c, ...complaint }) => complaint))
    const { policy } = await cachesOf(app.db).policy()
    const at = now()
    const items = page.map((row, i) => {
      const due = row.deadlineDueAt
      const remaining = due <= at ? 0 : clockFor(policy, { severity: row.severity, customerTier: row.customerTier, team: row.team }).elapsed(at, due)
      return {
        complaint: presentComplaint(records[i]!, user),
        deadline: row.deadlineKind,
        promisedBy: row.promisedBy?.toISOString() ?? null,
        dueAt: due.toISOString(),
        remaining: isoRemaining(remaining),
        warned: row.warned,
      }
    })
    return { items, nextCursor }
  })
}

export default meRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { cachesOf } from '../cache/caches.js'
import { decodeCursor, encodeCursor } from '../complaints/complaint.list.js'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { problems } from '../http/problem.js'
import { DateTime, json, problemResponses } from '../http/schemas.js'
import { clockFor } from '../sla/deadline-clock.js'
import { PENDING_SQL } from '../timers/timers.repository.js'
import { concerns, parseFeedId, replayFeed, type FeedMessage } from './feed.js'
import { isFeedEvent } from './live-events.js'
import type { LiveHub } from './live-hub.js'
import { lastEventIdOf, liveAfterReplay, OpenStreams } from './sse.js'

const AtRiskQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

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

interface AtRiskRow {
  id: string
  kind: 'response' | 'escalation_response'
  dueAt: Date
  warned: boolean
  cursorAt: string
}

/** GET /v1/me/stream and GET /v1/me/at-risk: what concerns the caller, pushed and listed. */
const meRoutes: FastifyPluginAsyncTypebox<{ hub: LiveHub; clock?: () => Date }> = async (app, { hub, clock }) => {
  const now = () => clock?.() ?? new Date()
  const streams = new OpenStreams()
  app.addHook('preClose', async () => streams.endAll())

  app.get('/v1/me/stream', {
    config: { roles: ['agent', 'supervisor'] },
    schema: {
      operationId: 'streamMyFeed',
      tags: ['escalations'],
      summary: "Server-Sent Events of what concerns the caller (the agent's own feed)",
      description: 'Events: `deadline.warning` and `deadline.response_missed` for complaints the caller holds, ' +
        '`escalation.assigned` and `follow_up.due` routed to them, `promise.extension_requested` they may decide, ' +
        '`promise.extended` and `promise.extension_refused` for their requests. Each message has an `id:`; reconnecting ' +
        'with `Last-Event-ID` replays, from Postgres, what followed it (up to 24 hours back, starting a few seconds ' +
        'before the id so that nothing committed late is lost: drop ids already seen), then `: connected`, then live ' +
        'events. `: ping` comments keep the stream alive.',
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 200 })) }),
      response: {
        200: { description: 'An event stream; each `data:` is a JSON FeedMessage', content: { 'text/event-stream': { schema: Type.String() } } },
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const user = request.user
    const lastId = lastEventIdOf(request)
    const after = lastId === undefined ? undefined : parseFeedId(lastId)
    if (after === null) throw problems.validation([{ field: 'headers.last-event-id', message: 'is not an event id this stream gave out' }])
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
      summary: "The caller's open complaints with a pending response deadline, the soonest first",
      description: "A complaint the caller holds: logged and assigned to them, or escalated to them. Keyset-paginated: pass `nextCursor` as `cursor`.",
      querystring: AtRiskQuery,
      response: {
        200: json(Type.Object({ items: Type.Array(AtRiskItem), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 'A page of deadlines'),
        ...problemResponses(),
      },
    },
  }, async (request) => {
    const user = request.user
    const limit = request.query.limit ?? 50
    const cursor = request.query.cursor ? decodeCursor(request.query.cursor) : null
    // From the caller's open complaints (an index on the assignee, or on the escalation's), then each one's pending
    // deadline: a few dozen probes, never a walk of every pending timer by due time.
    const { rows } = await sql<AtRiskRow>`
      select c.id, t.kind, t.due_at as "dueAt", to_char(t.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "cursorAt",
        exists (select 1 from timers w where w.complaint_id = c.id and w.kind = 'response_warning' and w.armed_seq = t.armed_seq
          and w.fired_at is not null) as warned
      from complaints c
      cross join lateral (
        select t.kind, t.due_at, t.armed_seq from timers t
        where t.complaint_id = c.id and t.kind in ('response', 'escalation_response') and ${sql.raw(PENDING_SQL('t'))}
        order by t.due_at limit 1
      ) t
      where ((c.state = 'logged' and c.assignee_id = ${user.id}) or (c.state = 'escalated' and c.escalation ->> 'assigneeId' = ${user.id}))
        ${cursor ? sql`and (t.due_at, c.id) > (${cursor.t}::timestamptz, ${cursor.id}::uuid)` : sql``}
      order by t.due_at, c.id
      limit ${limit + 1}`.execute(app.db)
    const page = rows.slice(0, limit)
    const complaints = page.length === 0 ? [] : await app.db.selectFrom('complaints').selectAll().where('id', 'in', page.map((r) => r.id)).execute()
    const records = new Map((await loadRecords(app.db, complaints)).map((r) => [r.complaint.id, r]))
    const { policy } = await cachesOf(app.db).policy()
    const at = now()
    const items = page.map((row) => {
      const record = records.get(row.id)!
      const c = record.complaint
      const remaining = row.dueAt <= at ? 0 : clockFor(policy, { severity: c.severity, customerTier: c.customerTier, team: c.team }).elapsed(at, row.dueAt)
      return {
        complaint: presentComplaint(record, user),
        deadline: row.kind,
        promisedBy: c.promisedBy?.toISOString() ?? null,
        dueAt: row.dueAt.toISOString(),
        remaining: isoRemaining(remaining),
        warned: row.warned,
      }
    })
    const last = rows[limit - 1]
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.cursorAt, last.id) : null }
  })
}

export default meRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { after, cursorTime, decodeCursor, orderOf, pageFrom, pageOf, pagingQuery, type SortKey } from '../http/paging.js'
import { json, problemResponses, Uuid } from '../http/schemas.js'
import { isFeedEvent, type LiveEvent } from '../live/live-events.js'
import type { LiveHub } from '../live/live-hub.js'
import { escalationIdInstant, replayEscalations } from '../live/escalation-replay.js'
import { eventStreamResponse, LastEventIdHeaders, lastEventIdOf, liveAfterReplay, OpenStreams, StreamQuery, streamSecurity, TICKET_NOTE } from '../live/sse.js'

const InboxQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('all')], { default: 'open' })),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Literal('me')])),
    ...pagingQuery(200, 50),
  },
  { additionalProperties: false },
)

const ackDueAt = sql`(complaints.escalation ->> 'ackDueAt')::timestamptz`
/** The highest level first, then the acknowledgement due soonest (none: last), then the oldest; id breaks ties. */
const INBOX_KEYS: SortKey[] = [
  { expr: sql`(complaints.escalation ->> 'level')::int`, dir: 'desc', kind: 'int' },
  { expr: ackDueAt, dir: 'asc', kind: 'time', nullable: true },
  { expr: sql`complaints.created_at`, dir: 'asc', kind: 'time' },
  { expr: sql`complaints.id`, dir: 'asc', kind: 'uuid' },
]

const escalationRoutes: FastifyPluginAsyncTypebox<{ hub: LiveHub }> = async (app, { hub }) => {
  app.get('/v1/escalations', {
    config: { roles: ['supervisor'] },
    schema: {
      operationId: 'listEscalations',
      tags: ['escalations'],
      summary: "The supervisor's inbox: escalated complaints, the most urgent first",
      querystring: InboxQuery,
      description: 'Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      response: { 200: json(pageOf(Type.Ref('Complaint')), 'A page of escalated complaints'), ...problemResponses() },
    },
  }, async (request) => {
    const { status = 'open', assigneeId, limit = 50, cursor } = request.query
    let query = app.db.selectFrom('complaints').selectAll('complaints')
      .select([
        sql<number>`(complaints.escalation ->> 'level')::int`.as('cursorLevel'),
        cursorTime(ackDueAt).as('cursorAckDue'),
        cursorTime(sql`complaints.created_at`).as('cursorAt'),
      ])
      .where('state', '=', 'escalated')
    if (status === 'open') query = query.where(sql<boolean>`escalation ->> 'acknowledgedAt' is null`)
    if (status === 'acknowledged') query = query.where(sql<boolean>`escalation ->> 'acknowledgedAt' is not null`)
    if (assigneeId) {
      const who = assigneeId === 'me' ? request.user.id : assigneeId
      query = query.where(sql<boolean>`escalation ->> 'assigneeId' = ${who}`)
    }
    if (cursor) query = query.where(after(INBOX_KEYS, decodeCursor(cursor, INBOX_KEYS)))
    const rows = await query.orderBy(orderOf(INBOX_KEYS)).limit(limit + 1).execute()
    const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.cursorLevel, row.cursorAckDue, row.cursorAt, row.id])
    const records = await loadRecords(app.db, page.map(({ cursorLevel: _l, cursorAckDue: _d, cursorAt: _a, ...row }) => row))
    return { items: records.map((r) => presentComplaint(r, request.user)), nextCursor }
  })

  app.get('/v1/escalations/stream', {
    config: { roles: ['supervisor'], streamTicket: true },
    schema: {
      operationId: 'streamEscalations',
      tags: ['escalations'],
      summary: 'Server-Sent Events for this supervisor: escalation.assigned, deadline.warning, ...',
      description: 'Each message is `id: <id>`, `event: <type>` and `data:` a JSON LiveEvent. The comment `: connected` ' +
        'comes once the stream is listening; `: ping` comments keep it alive. Reconnecting with `Last-Event-ID` first ' +
        'replays, from the history (up to 24 hours back, starting a few seconds before the id: drop ids already seen), ' +
        'the escalations, acknowledgements, assignments, warnings and resolutions of the complaints this supervisor ' +
        'would hear of now. ' + TICKET_NOTE,
      security: streamSecurity(),
      querystring: StreamQuery,
      headers: LastEventIdHeaders,
      response: {
        200: eventStreamResponse('An event stream'),
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const user = request.user
    const after = lastEventIdOf(request, escalationIdInstant)
    const relevant = (event: LiveEvent) =>
      event.assigneeId === user.id || (event.level !== null && user.level !== null && event.level <= user.level)
    let unsubscribe = () => {}
    const stream = streams.open(request, reply, () => unsubscribe())
    await liveAfterReplay<LiveEvent>({
      stream,
      subscribe: async (deliver) => {
        unsubscribe = await hub.add((event) => {
          if (!isFeedEvent(event) && relevant(event)) deliver(event)
        })
      },
      replay: after ? () => replayEscalations(app.db, user, after) : undefined,
      send: (event) => stream.send(event.type, event, event.id),
    })
  })

  const streams = new OpenStreams()
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    streams.endAll()
    await hub.close()
  })
}

export default escalationRoutes

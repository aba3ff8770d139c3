import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ServerResponse } from 'node:http'
import { sql } from 'kysely'
import Type from 'typebox'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { after, cursorTime, decodeCursor, orderOf, pageFrom, pageOf, pagingQuery, type SortKey } from '../http/paging.js'
import { json, problemResponses, Uuid } from '../http/schemas.js'
import type { LiveEvent } from '../live/live-events.js'
import type { LiveHub } from '../live/live-hub.js'

const InboxQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('all')], { default: 'open' })),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Literal('me')])),
    ...pagingQuery(200, 50),
  },
  { additionalProperties: false },
)

const HEARTBEAT_MS = 15_000

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
    config: { roles: ['supervisor'] },
    schema: {
      operationId: 'streamEscalations',
      tags: ['escalations'],
      summary: 'Server-Sent Events for this supervisor: escalation.assigned, deadline.warning, ...',
      description: 'Each message is `event: <type>` with `data:` a JSON LiveEvent. The comment `: connected` comes first, once the stream is listening; `: ping` comments keep it alive.',
      response: {
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: Type.String() } } },
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const user = request.user
    reply.hijack()
    const raw: ServerResponse = reply.raw
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-request-id': request.id,
    })
    const relevant = (event: LiveEvent) =>
      event.assigneeId === user.id || (event.level !== null && user.level !== null && event.level <= user.level)
    const unsubscribe = await hub.add((event) => {
      if (relevant(event)) raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
    })
    // Sent once the subscription is live: from here on the client misses nothing published.
    raw.write(': connected\n\n')
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS)
    streams.add(raw)
    raw.on('close', () => {
      clearInterval(heartbeat)
      unsubscribe()
      streams.delete(raw)
    })
  })

  const streams = new Set<ServerResponse>()
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end()
    await hub.close()
  })
}

export default escalationRoutes

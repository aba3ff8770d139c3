import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ServerResponse } from 'node:http'
import { sql } from 'kysely'
import Type from 'typebox'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { json, problemResponses, Uuid } from '../http/schemas.js'
import type { LiveEvent } from '../live/live-events.js'
import type { LiveHub } from '../live/live-hub.js'

const InboxQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('all')], { default: 'open' })),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Literal('me')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
)

const HEARTBEAT_MS = 15_000

const escalationRoutes: FastifyPluginAsyncTypebox<{ hub: LiveHub }> = async (app, { hub }) => {
  app.get('/v1/escalations', {
    config: { roles: ['supervisor'] },
    schema: {
      operationId: 'listEscalations',
      tags: ['escalations'],
      summary: "The supervisor's inbox: escalated complaints, the most urgent first",
      querystring: InboxQuery,
      response: { 200: json(Type.Object({ items: Type.Array(Type.Ref('Complaint')) }), 'Escalated complaints'), ...problemResponses() },
    },
  }, async (request) => {
    const { status = 'open', assigneeId, limit = 50 } = request.query
    let query = app.db.selectFrom('complaints').selectAll().where('state', '=', 'escalated')
    if (status === 'open') query = query.where(sql<boolean>`escalation ->> 'acknowledgedAt' is null`)
    if (status === 'acknowledged') query = query.where(sql<boolean>`escalation ->> 'acknowledgedAt' is not null`)
    if (assigneeId) {
      const who = assigneeId === 'me' ? request.user.id : assigneeId
      query = query.where(sql<boolean>`escalation ->> 'assigneeId' = ${who}`)
    }
    const rows = await query
      .orderBy(sql`(escalation ->> 'level')::int`, 'desc')
      .orderBy(sql`escalation ->> 'ackDueAt'`, sql`asc nulls last`)
      .orderBy('createdAt')
      .limit(limit)
      .execute()
    return { items: (await loadRecords(app.db, rows)).map((r) => presentComplaint(r, request.user)) }
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

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { json, problemResponses, Uuid } from '../http/schemas.js'
import { isFeedEvent, type LiveEvent } from '../live/live-events.js'
import type { LiveHub } from '../live/live-hub.js'
import { escalationIdInstant, replayEscalations } from '../live/escalation-replay.js'
import { lastEventIdOf, liveAfterReplay, OpenStreams } from '../live/sse.js'
import { problems } from '../http/problem.js'

const InboxQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('all')], { default: 'open' })),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Literal('me')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
)

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
      description: 'Each message is `id: <id>`, `event: <type>` and `data:` a JSON LiveEvent. The comment `: connected` ' +
        'comes once the stream is listening; `: ping` comments keep it alive. Reconnecting with `Last-Event-ID` first ' +
        'replays, from the history (up to 24 hours back, starting a few seconds before the id: drop ids already seen), ' +
        'the escalations, acknowledgements, assignments, warnings and resolutions of the complaints this supervisor ' +
        'would hear of now.',
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 200 })) }),
      response: {
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: Type.String() } } },
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const user = request.user
    const lastId = lastEventIdOf(request)
    const after = lastId === undefined ? undefined : escalationIdInstant(lastId)
    if (after === null) throw problems.validation([{ field: 'headers.last-event-id', message: 'is not an event id this stream gave out' }])
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

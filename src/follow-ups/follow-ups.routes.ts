import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { json, problemResponses, Uuid } from '../http/schemas.js'

const FollowUpQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('due'), Type.Literal('upcoming'), Type.Literal('all')], { default: 'due' })),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Literal('me')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
)

const followUpRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/follow-ups', {
    config: { roles: ['agent', 'supervisor'] },
    schema: {
      operationId: 'listFollowUps',
      tags: ['follow-ups'],
      summary: 'Follow-up calls that are due (or upcoming), the oldest first',
      querystring: FollowUpQuery,
      response: { 200: json(Type.Object({ items: Type.Array(Type.Ref('Complaint')) }), 'Complaints awaiting their follow-up call'), ...problemResponses() },
    },
  }, async (request) => {
    const { status = 'due', assigneeId, limit = 50 } = request.query
    const dueAt = sql`(follow_up ->> 'dueAt')::timestamptz`
    let query = app.db.selectFrom('complaints').selectAll().where('state', '=', 'follow_up')
    if (status === 'due') query = query.where(sql<boolean>`${dueAt} <= now()`)
    if (status === 'upcoming') query = query.where(sql<boolean>`${dueAt} > now()`)
    if (assigneeId) query = query.where('assigneeId', '=', assigneeId === 'me' ? request.user.id : assigneeId)
    const rows = await query.orderBy(dueAt).orderBy('id').limit(limit).execute()
    return { items: (await loadRecords(app.db, rows)).map((r) => presentComplaint(r, request.user)) }
  })
}

export default followUpRoutes

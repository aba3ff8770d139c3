import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { loadRecords } from '../complaints/complaint.repository.js'
import { presentComplaint } from '../complaints/complaint.view.js'
import { after, cursorTime, decodeCursor, orderOf, pageFrom, pageOf, pagingQuery, type SortKey } from '../http/paging.js'
import { json, problemResponses, Uuid } from '../http/schemas.js'

const FollowUpQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('due'), Type.Literal('upcoming'), Type.Literal('all')], { default: 'due' })),
    assigneeId: Type.Optional(Type.Union([Uuid, Type.Literal('me')])),
    ...pagingQuery(200, 50),
  },
  { additionalProperties: false },
)

const dueAt = sql`(complaints.follow_up ->> 'dueAt')::timestamptz`
/** The call due first first; id breaks ties. */
const FOLLOW_UP_KEYS: SortKey[] = [
  { expr: dueAt, dir: 'asc', kind: 'time', nullable: true },
  { expr: sql`complaints.id`, dir: 'asc', kind: 'uuid' },
]

const followUpRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/follow-ups', {
    config: { roles: ['agent', 'supervisor'] },
    schema: {
      operationId: 'listFollowUps',
      tags: ['follow-ups'],
      summary: 'Follow-up calls that are due (or upcoming), the oldest first',
      querystring: FollowUpQuery,
      description: 'Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      response: { 200: json(pageOf(Type.Ref('Complaint')), 'A page of complaints awaiting their follow-up call'), ...problemResponses() },
    },
  }, async (request) => {
    const { status = 'due', assigneeId, limit = 50, cursor } = request.query
    let query = app.db.selectFrom('complaints').selectAll('complaints').select(cursorTime(dueAt).as('cursorDue'))
      .where('state', '=', 'follow_up')
    if (status === 'due') query = query.where(sql<boolean>`${dueAt} <= now()`)
    if (status === 'upcoming') query = query.where(sql<boolean>`${dueAt} > now()`)
    if (assigneeId) query = query.where('assigneeId', '=', assigneeId === 'me' ? request.user.id : assigneeId)
    if (cursor) query = query.where(after(FOLLOW_UP_KEYS, decodeCursor(cursor, FOLLOW_UP_KEYS)))
    const rows = await query.orderBy(orderOf(FOLLOW_UP_KEYS)).limit(limit + 1).execute()
    const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.cursorDue, row.id])
    const records = await loadRecords(app.db, page.map(({ cursorDue: _d, ...row }) => row))
    return { items: records.map((r) => presentComplaint(r, request.user)), nextCursor }
  })
}

export default followUpRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { after, cursorTime, decodeCursor, orderOf, pageFrom, pageOf, pagingQuery, type SortKey } from '../http/paging.js'
import { json, problemResponses } from '../http/schemas.js'
import { loadRecords } from './complaint.repository.js'
import { presentComplaint } from './complaint.view.js'

const ExtensionRequestsQuery = Type.Object(
  {
    status: Type.Optional(Type.Literal('pending', { default: 'pending', description: 'requests waiting for a decision (the only status listed)' })),
    ...pagingQuery(200, 50),
  },
  { additionalProperties: false },
)

/** The promise that breaks soonest first; a pending request is in logged, so promised_by is never null. */
const PENDING_KEYS: SortKey[] = [
  { expr: sql`complaints.promised_by`, dir: 'asc', kind: 'time' },
  { expr: sql`complaints.id`, dir: 'asc', kind: 'uuid' },
]

/** GET /v1/extension-requests: the complaints whose promise waits for a supervisor's decision, soonest deadline first. */
const extensionRequestsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/extension-requests', {
    config: { roles: ['supervisor'] },
    schema: {
      operationId: 'listExtensionRequests',
      tags: ['complaints'],
      summary: 'Pending extension requests, the promise that breaks soonest first',
      description: 'Each item is the complaint, its `extension` the pending request. Keyset-paginated: pass `nextCursor` as `cursor`.',
      querystring: ExtensionRequestsQuery,
      response: {
        200: json(pageOf(Type.Ref('Complaint')), 'A page of complaints with a pending extension request'),
        ...problemResponses(),
      },
    },
  }, async (request) => {
    const { limit = 50, cursor } = request.query
    // The predicate is written as the partial index's (migration 0017), so it serves the query on any statistics.
    let query = app.db.selectFrom('complaints').selectAll()
      .select(cursorTime(sql`complaints.promised_by`).as('cursorAt'))
      .where(sql<boolean>`extension ->> 'status' = 'pending'`)
    if (cursor) query = query.where(after(PENDING_KEYS, decodeCursor(cursor, PENDING_KEYS)))
    const rows = await query.orderBy(orderOf(PENDING_KEYS)).limit(limit + 1).execute()
    const { page, nextCursor } = pageFrom(rows, limit, (row) => [row.cursorAt, row.id])
    const complaints = page.map(({ cursorAt: _cursorAt, ...row }) => row)
    return { items: (await loadRecords(app.db, complaints)).map((record) => presentComplaint(record, request.user)), nextCursor }
  })
}

export default extensionRequestsRoutes

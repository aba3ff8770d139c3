import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import Type from 'typebox'
import { json, problemResponses } from '../http/schemas.js'
import { decodeCursor, encodeCursor } from './complaint.list.js'
import { loadRecords } from './complaint.repository.js'
import { presentComplaint } from './complaint.view.js'

const ExtensionRequestsQuery = Type.Object(
  {
    status: Type.Optional(Type.Literal('pending', { default: 'pending', description: 'requests waiting for a decision (the only status listed)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

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
        200: json(Type.Object({ items: Type.Array(Type.Ref('Complaint')), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          'A page of complaints with a pending extension request'),
        ...problemResponses(),
      },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 50
    const after = request.query.cursor ? decodeCursor(request.query.cursor) : null
    // The predicate is written as the partial index's (migration 0017), so it serves the query on any statistics.
    let query = app.db.selectFrom('complaints').selectAll()
      .select(sql<string>`to_char(promised_by at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursorAt'))
      .where(sql<boolean>`extension ->> 'status' = 'pending'`)
    if (after) query = query.where(sql<boolean>`(promised_by, id) > (${after.t}::timestamptz, ${after.id}::uuid)`)
    const rows = await query.orderBy('promisedBy').orderBy('id').limit(limit + 1).execute()
    const page = rows.slice(0, limit).map(({ cursorAt: _cursorAt, ...row }) => row)
    const last = rows[limit - 1]
    return {
      items: (await loadRecords(app.db, page)).map((record) => presentComplaint(record, request.user)),
      nextCursor: rows.length > limit && last ? encodeCursor(last.cursorAt, last.id) : null,
    }
  })
}

export default extensionRequestsRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { problems } from '../http/problem.js'
import { IdParams, json, problemResponses } from '../http/schemas.js'
import { refreshSearchRows } from './search-refresh.js'
import { complaintText, similarOpenComplaints } from './similar.js'

const SimilarComplaints = Type.Object(
  {
    items: Type.Array(Type.Object({
      id: Type.String({ format: 'uuid' }),
      reference: Type.String(),
      summary: Type.String(),
      score: Type.Number({ minimum: 0, maximum: 1, description: 'how alike the two complaints read (their summary and description): 0 nothing shared, 1 the same words' }),
    }, { additionalProperties: false })),
  },
  { $id: 'SimilarComplaints', additionalProperties: false },
)

/** GET /v1/complaints/{id}/similar (docs/search.md). */
const similarRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(SimilarComplaints)
  app.get('/v1/complaints/:id/similar', {
    config: { roles: ['agent', 'supervisor'] },
    schema: {
      tags: ['complaints'],
      operationId: 'listSimilarComplaints',
      summary: 'The 10 open complaints most like this one, most alike first',
      description: 'Open: received, logged or escalated; never the complaint itself. Candidates are the open complaints whose ' +
        'summary, customer name or reference shares a word or a pair of Chinese characters with its summary (the newest ' +
        'few hundred of them); each is scored by the Dice coefficient of the two texts\' words and character pairs, and ' +
        'those that share nothing are left out.',
      params: IdParams,
      response: { 200: json(Type.Ref('SimilarComplaints'), 'The most similar open complaints'), ...problemResponses('not_found') },
    },
  }, async (request) => {
    const source = await complaintText(app.db, request.params.id)
    if (!source) throw problems.notFound('complaint')
    // Candidates come from the search rows: those of complaints committed before this request, built now if need be.
    await refreshSearchRows(app.db)
    return { items: await similarOpenComplaints(app.db, source, { exclude: [request.params.id] }) }
  })
}

export default similarRoutes

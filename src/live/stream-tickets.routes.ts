import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { DateTime, json, problemResponses } from '../http/schemas.js'
import { STREAM_TICKET_TTL_MS, type StreamTickets } from './stream-tickets.js'

const StreamTicket = Type.Object(
  {
    ticket: Type.String({ description: 'pass as `?ticket=` to GET /v1/me/stream or GET /v1/escalations/stream; works once', examples: ['stk_3q2-7wXh0mJ1oYbq8V5cTn4LzKd9RfUeA6sPgI0Hj2M'] }),
    expiresAt: Type.String({ ...DateTime, description: `when the ticket stops working if unused (${STREAM_TICKET_TTL_MS / 1000} s after it was issued)` }),
  },
  { additionalProperties: false },
)

/** POST /v1/stream-tickets: a short-lived, single-use credential for opening an event stream from a browser. */
const streamTicketRoutes: FastifyPluginAsyncTypebox<{ tickets: StreamTickets }> = async (app, { tickets }) => {
  app.post('/v1/stream-tickets', {
    config: { roles: ['agent', 'supervisor'] },
    schema: {
      operationId: 'createStreamTicket',
      tags: ['escalations'],
      summary: 'A single-use ticket that opens an event stream without an Authorization header (EventSource)',
      description: 'A browser\'s EventSource cannot send headers, and a token must never be put in a URL. The ticket ' +
        `works once, for ${STREAM_TICKET_TTL_MS / 1000} seconds, for the caller only: GET /v1/me/stream?ticket=... or ` +
        'GET /v1/escalations/stream?ticket=... (each stream\'s roles apply). Presented alone it identifies the caller; ' +
        'beside a bearer token it must be that token\'s user\'s (else 403). Unknown, used or expired: 401. Any API ' +
        'process redeems it (tickets are kept in Redis). Take a new one for every reconnection. The body, if any, is ignored.',
      response: {
        201: json(StreamTicket, 'The ticket'),
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const issued = await tickets.issue(request.user.id)
    reply.status(201).header('cache-control', 'no-store')
    return { ticket: issued.ticket, expiresAt: issued.expiresAt.toISOString() }
  })
}

export default streamTicketRoutes

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** The URL of the next page: the request's own path and query with `cursor` set to the page's `nextCursor`. */
export function nextPageUrl(requestUrl: string, nextCursor: string): string {
  const url = new URL(requestUrl, 'http://hotline.invalid')
  url.searchParams.set('cursor', nextCursor)
  return `${url.pathname}${url.search}`
}

/**
 * Every list answer with a next page also says so in a `Link: <...>; rel="next"` header (RFC 8288), as GitHub and
 * Zendesk do, for clients that follow links rather than read `nextCursor`. Read before serialisation: no parsing.
 */
export default fp(
  async function linkNextPlugin(app: FastifyInstance) {
    app.addHook('preSerialization', async (request, reply, payload: unknown) => {
      const next = (payload as { nextCursor?: unknown } | null)?.nextCursor
      if (typeof next === 'string' && request.method === 'GET') reply.header('link', `<${nextPageUrl(request.url, next)}>; rel="next"`)
      return payload
    })
  },
  { name: 'link-next' },
)

import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { publicProblemResponses } from '../http/schemas.js'

/**
 * The supervisor's board (docs/board.md): one page, its stylesheet and its script, hand-written and served from here
 * (no CDN, no front-end server). `npm run build` copies this folder's `public/` beside the compiled code.
 */
const PUBLIC = path.join(import.meta.dirname, 'public')

const ASSETS = {
  'board.html': 'text/html; charset=utf-8',
  'board.css': 'text/css; charset=utf-8',
  'board.js': 'text/javascript; charset=utf-8',
  'icon.svg': 'image/svg+xml',
} as const
type Asset = keyof typeof ASSETS

/**
 * Only this origin's script and stylesheet run (no inline script or style, no eval), the page talks only to this
 * origin, and no other site may frame it or receive a form from it.
 */
export const BOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ')

function load(): Record<Asset, Buffer> {
  try {
    return Object.fromEntries(Object.keys(ASSETS).map((name) => [name, readFileSync(path.join(PUBLIC, name))])) as Record<Asset, Buffer>
  } catch (error) {
    throw new Error(`the board's files are missing from ${PUBLIC}: build with \`npm run build\` (${(error as Error).message})`, { cause: error })
  }
}

const boardRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const files = load()
  const send = (reply: FastifyReply, name: Asset) =>
    reply
      .type(ASSETS[name])
      .header('content-security-policy', BOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(files[name])

  app.get('/board', {
    config: { public: true },
    schema: {
      operationId: 'getBoard',
      tags: ['operations'],
      summary: "The supervisor's board: a page for people (sign in with your token), built on this API",
      description: 'Escalations arriving live, promises at risk, extension requests, today\'s figures and two charts for ' +
        'supervisors; an agent\'s own promises at risk and follow-up calls due (docs/board.md). The page reads only ' +
        'the /v1 API, keeps the token in the tab (sessionStorage) and opens its streams with stream tickets.',
      security: [],
      response: {
        200: { description: 'The page', content: { 'text/html': { schema: { type: 'string' as const } } } },
        ...publicProblemResponses(),
      },
    },
  }, async (_request, reply) => send(reply, 'board.html'))

  // The page's own files: part of the page, not of the API (left out of the document, as Swagger UI's are).
  for (const name of ['board.css', 'board.js', 'icon.svg'] as const) {
    app.get(`/board/${name}`, { config: { public: true }, schema: { hide: true } }, async (_request, reply) => send(reply, name))
  }
}

export default boardRoutes

// A typed Hotline client as any consumer would build it: openapi-fetch over the types openapi-typescript generates
// from the committed openapi.yaml (`npm run client:types`). Nothing here knows a route but the document.
import { readFileSync } from 'node:fs'
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import { parse } from 'yaml'
import type { operations, paths } from './hotline-api.js'

export type HotlineClient = Client<paths>

interface DocumentedOperation { responses: Record<string, { content?: Record<string, unknown> }> }
type Document = { paths: Record<string, Record<string, DocumentedOperation | undefined> | undefined> }

const DOCUMENT = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as Document

/**
 * Notes every answer the document does not describe: a status the operation does not list, or a body in a media
 * type that status does not declare. The generated types cannot tell: openapi-fetch trusts them.
 */
function undocumentedAnswers(found: string[]): Middleware {
  return {
    onResponse({ request, schemaPath, response }) {
      const label = `${request.method} ${schemaPath} ${response.status}`
      const answer = DOCUMENT.paths[schemaPath]?.[request.method.toLowerCase()]?.responses[String(response.status)]
      if (!answer) {
        found.push(`${label}: status not documented`)
        return
      }
      const mediaType = response.headers.get('content-type')?.split(';')[0]
      if (mediaType && !Object.keys(answer.content ?? {}).includes(mediaType)) found.push(`${label}: ${mediaType} not documented`)
    },
  }
}

/** A client that sends `token` as its bearer token; what the document does not describe is pushed to `undocumented`. */
export function hotlineClient(baseUrl: string, token: string, undocumented: string[]): HotlineClient {
  const client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } })
  client.use(undocumentedAnswers(undocumented))
  return client
}

type ResponseOf<Op extends keyof operations, Status> = Status extends keyof operations[Op]['responses'] ? operations[Op]['responses'][Status] : never
/** The header names an answer declares, without the `[name: string]: unknown` every generated answer allows. */
type DeclaredHeader<Op extends keyof operations, Status> = ResponseOf<Op, Status> extends { headers: infer Headers }
  ? keyof { [Name in keyof Headers as string extends Name ? never : Name]: Headers[Name] } & string
  : never

/**
 * The headers of an answer, readable only by the names the document declares for that operation and status
 * (openapi-fetch types bodies, not headers): `headersOf<'getComplaint', 200>(response).get('etag')`.
 */
export function headersOf<Op extends keyof operations, Status extends keyof operations[Op]['responses']>(response: Response) {
  return { get: (name: DeclaredHeader<Op, Status>): string | null => response.headers.get(name) }
}

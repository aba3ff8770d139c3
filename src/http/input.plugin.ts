import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { problems, type FieldError } from './problem.js'

// NUL is not storable in Postgres text, and jsonb refuses \u0000 and unpaired surrogates: such strings would fail deep
// in a query as a 500. They are never meaningful in this API, so they are refused at the edge as validation_failed.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

export function hasUnstorableText(value: string): boolean {
  return value.includes('\u0000') || UNPAIRED_SURROGATE.test(value)
}

/** Every string (keys included) in a parsed value that Postgres could not store; iterative, so deep nesting is safe. */
export function unstorableFields(root: unknown, prefix: string, limit = 20): FieldError[] {
  const found: FieldError[] = []
  const stack: [unknown, string][] = [[root, prefix]]
  while (stack.length > 0 && found.length < limit) {
    const [value, path] = stack.pop()!
    if (typeof value === 'string') {
      if (hasUnstorableText(value)) found.push({ field: path, message: 'contains a NUL character or an unpaired surrogate' })
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}.${i}`])
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (hasUnstorableText(key)) found.push({ field: path, message: 'has a key with a NUL character or an unpaired surrogate' })
        else stack.push([inner, `${path}.${key}`])
      }
    }
  }
  return found
}

/** Refuses requests whose query, path, headers or JSON body carry text Postgres cannot store. */
export default fp(
  async function inputPlugin(app: FastifyInstance) {
    app.addHook('preValidation', async (request) => {
      const errors = [
        ...unstorableFields(request.params, 'params'),
        ...unstorableFields(request.query, 'querystring'),
        ...unstorableFields(request.headers, 'headers'),
        ...unstorableFields(request.body, 'body'),
      ]
      if (errors.length > 0) throw problems.validation(errors)
    })
  },
  { name: 'input' },
)

import { AjvCompiler, type RouteDefinition, type ValidatorFactory } from '@fastify/ajv-compiler'

/**
 * Ajv as every request part shares it: all errors (the answer names each failing field; the errors plugin caps the
 * list), nothing removed silently, documented defaults filled in, and no number that is not finite (`1e999` in JSON
 * parses to Infinity; `strictNumbers` refuses it even where a schema has no bound).
 */
export const AJV_OPTIONS = {
  customOptions: { allErrors: true, removeAdditional: false, useDefaults: true, strictNumbers: true },
} as const

interface ValidateFunction {
  (data: unknown): boolean | Promise<unknown>
  errors?: unknown[] | null
}

/** Paths (`/a/0`) of the numbers in a parsed request part that are not finite. */
function nonFinitePaths(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path]
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, inner]) => nonFinitePaths(inner, `${path}/${key}`))
}

/**
 * Ajv coerces the text "1e999" to Infinity and, with `strictNumbers`, then skips `minimum`/`maximum` for it instead of
 * refusing it: a query string, path or header that converted to a non-finite number is refused here.
 */
function refuseNonFinite(validate: ValidateFunction): ValidateFunction {
  const wrapped: ValidateFunction = (data) => {
    const valid = validate(data)
    wrapped.errors = validate.errors
    if (valid !== true) return valid
    const paths = nonFinitePaths(data)
    if (paths.length === 0) return true
    wrapped.errors = paths.map((instancePath) => ({ instancePath, keyword: 'type', params: {}, message: 'must be a finite number' }))
    return false
  }
  return wrapped
}

/**
 * Two validators over the same shared schemas (`app.addSchema`): JSON bodies are taken as sent (a string is not a
 * number, `true` is not 1), while the query string, path parameters and headers, which are text on the wire, still
 * convert from their string form to the declared type. Fastify's `ajv` option reaches both.
 */
export function partAwareValidator(): ValidatorFactory {
  const pool = AjvCompiler()
  return (externalSchemas, options = AJV_OPTIONS) => {
    const custom = options.customOptions ?? {}
    const strict = pool(externalSchemas, { ...options, mode: undefined, customOptions: { ...custom, coerceTypes: false } })
    const textual = pool(externalSchemas, { ...options, mode: undefined, customOptions: { ...custom, coerceTypes: 'array' } })
    return (route: RouteDefinition) =>
      route.httpPart === 'body' ? strict(route) : refuseNonFinite(textual(route) as ValidateFunction) as ReturnType<typeof strict>
  }
}

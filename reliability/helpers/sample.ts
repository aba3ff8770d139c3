// A valid-looking instance of a JSON schema (the fuzzer's starting point before it breaks things), and the
// schema found at a path of such an instance, so that a mutation knows whether it made the body invalid.
import { deref, type Schema } from './openapi.js'

export interface SampleContext {
  /** Ids that exist, by the property (or path parameter) that names them. */
  ids: Record<string, string>
}

const PATTERN_CANDIDATES = ['PT1H', 'P1D', '09:00', '2026-12-01', 'CN', 'x', 'abc', 'delivery', 'whsec_aGVsbG8=', '+8613800138000']

function pickString(schema: Schema, name: string, ctx: SampleContext): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 1000
  switch (schema.format) {
    case 'uuid':
      return ctx.ids[name] ?? ctx.ids.id ?? '00000000-0000-4000-8000-000000000000'
    case 'date-time':
      return new Date(Date.now() + 86_400_000).toISOString()
    case 'date':
      return '2026-12-01'
    case 'email':
      return 'li.wei@example.com'
    case 'uri':
      return 'https://example.com/hooks/hotline'
    default:
  }
  if (typeof schema.pattern === 'string') {
    const re = new RegExp(schema.pattern, 'u')
    const hit = PATTERN_CANDIDATES.find((c) => re.test(c) && c.length >= min && c.length <= max)
    if (hit) return hit
  }
  if (name === 'phone') return '+86 138 0013 8000'
  if (name === 'url') return 'https://example.com/hooks/hotline'
  const base = `fuzz ${name || 'value'}`
  return base.length >= min ? base.slice(0, max) : base.padEnd(min, 'x')
}

export function sample(input: Schema, ctx: SampleContext, name = '', depth = 0): unknown {
  const schema = deref(input)
  if (depth > 8) return null
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (Array.isArray(schema.anyOf)) return sample(schema.anyOf[0] as Schema, ctx, name, depth + 1)
  if (Array.isArray(schema.oneOf)) return sample(schema.oneOf[0] as Schema, ctx, name, depth + 1)
  if (Array.isArray(schema.allOf)) return sample(schema.allOf[0] as Schema, ctx, name, depth + 1)
  const type = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) out[key] = sample(sub, ctx, key, depth + 1)
      return out
    }
    case 'array': {
      const n = typeof schema.minItems === 'number' ? Math.max(schema.minItems, 1) : 1
      return Array.from({ length: n }, () => sample((schema.items ?? {}) as Schema, ctx, name, depth + 1))
    }
    case 'string':
      return pickString(schema, name, ctx)
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 1
      const max = typeof schema.maximum === 'number' ? schema.maximum : min + 10
      return Math.min(Math.max(min, 1), max)
    }
    case 'boolean':
      return true
    case 'null':
      return null
    default:
      return 'fuzz'
  }
}

/** The schema at `path` (object keys and array indexes) of an instance of `root`; undefined if not definite. */
export function schemaAt(root: Schema, path: (string | number)[]): Schema | undefined {
  let schema: Schema | undefined = deref(root)
  for (const step of path) {
    if (!schema) return undefined
    if (schema.anyOf || schema.oneOf) return undefined
    if (typeof step === 'number') schema = schema.items ? deref(schema.items as Schema) : undefined
    else schema = (schema.properties as Record<string, Schema> | undefined)?.[step]
    schema = schema ? deref(schema) : undefined
  }
  return schema
}

/** Every path of a JSON value down to its leaves (and its objects and arrays). */
export function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length > 0 ? [prefix] : []
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])))
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]))
  return out
}

export function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement
  const copy: Record<string | number, unknown> = Array.isArray(value) ? [...value] as never : { ...(value as object) }
  const [head, ...rest] = path
  // defineProperty: `__proto__` becomes an own key (sent in the JSON), not the copy's prototype.
  Object.defineProperty(copy, head!, { value: setAt(copy[head!], rest, replacement), enumerable: true, writable: true, configurable: true })
  return copy
}

export function deleteAt(value: unknown, path: (string | number)[]): unknown {
  if (path.length === 1) {
    if (Array.isArray(value)) return value.filter((_, i) => i !== path[0])
    const { [path[0]!]: _gone, ...rest } = value as Record<string, unknown>
    return rest
  }
  const [head, ...rest] = path
  const copy: Record<string | number, unknown> = Array.isArray(value) ? [...value] as never : { ...(value as object) }
  copy[head!] = deleteAt(copy[head!], rest)
  return copy
}

/** Does `value` certainly break `schema` by its JSON type, its range or its length (the cases the API must refuse)? */
export function certainlyInvalid(schema: Schema | undefined, value: unknown): string | undefined {
  if (!schema || schema.anyOf || schema.oneOf || schema.allOf || !schema.type || Array.isArray(schema.type)) return undefined
  const jsonType = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value
  const type = schema.type as string
  const sameType = jsonType === type || (type === 'number' && jsonType === 'integer')
  if (!sameType) return `a ${jsonType} where the schema wants ${type}`
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'a number that is not finite'
    if (typeof schema.minimum === 'number' && value < schema.minimum) return `${value} below minimum ${schema.minimum}`
    if (typeof schema.maximum === 'number' && value > schema.maximum) return `${value} above maximum ${schema.maximum}`
  }
  if (typeof value === 'string' && typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) return `a string longer than ${schema.maxLength}`
  return undefined
}

// The committed openapi.yaml, read as data: every operation with its parameters and JSON body schema, and the
// routes of the real app as Fastify registers them (with their `config`), collected by an onRoute hook.
import dc from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { parse } from 'yaml'

export type Schema = Record<string, unknown>

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Schema
}

export interface Operation {
  method: string
  /** The OpenAPI path, `{id}` style. */
  path: string
  operationId: string
  parameters: Parameter[]
  body?: Schema
  /** `security: []` on the operation: it declares that it needs no credentials. */
  declaredPublic: boolean
}

export const OPENAPI_FILE = path.resolve(import.meta.dirname, '../../openapi.yaml')
const document = parse(readFileSync(OPENAPI_FILE, 'utf8')) as {
  paths: Record<string, Record<string, { operationId?: string; parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] }>>
  components?: { schemas?: Record<string, Schema> }
}

/** Follows `#/components/schemas/X` references (one level at a time, as the generator walks). */
export function deref(schema: Schema): Schema {
  let current = schema
  for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
    const name = (current.$ref as string).replace('#/components/schemas/', '')
    current = document.components?.schemas?.[name] ?? {}
  }
  return current
}

export const OPERATIONS: Operation[] = Object.entries(document.paths).flatMap(([p, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
    .map(([method, op]) => ({
      method: method.toUpperCase(),
      path: p,
      operationId: op.operationId ?? `${method} ${p}`,
      parameters: op.parameters ?? [],
      ...(op.requestBody?.content?.['application/json']?.schema ? { body: op.requestBody.content['application/json'].schema } : {}),
      declaredPublic: Array.isArray(op.security) && op.security.length === 0,
    })))

/** `/v1/complaints/{id}` -> `/v1/complaints/:id`, as Fastify names it. */
export function fastifyPath(openapiPath: string): string {
  return openapiPath.replace(/\{([^}]+)\}/g, ':$1')
}

export interface RouteEntry {
  method: string
  url: string
  roles?: readonly string[] | undefined
  public?: boolean | undefined
}

/**
 * Collects every route of every Fastify instance created from now on. The hook is added when the instance is
 * created (the `fastify.initialization` diagnostics channel): setupApp's `extend` runs after buildApp has
 * registered the routes, too late for onRoute to see them.
 */
export function collectRoutes(): Map<string, RouteEntry> {
  const routes = new Map<string, RouteEntry>()
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      // Read when asked, not now: a plugin's own onRoute hook (the queue console's) runs after this root one and
      // may still set the route's config.
      const config = () => (route.config ?? {}) as { roles?: readonly string[]; public?: boolean }
      for (const method of methods) {
        routes.set(`${method} ${route.url}`, {
          method, url: route.url, get roles() { return config().roles }, get public() { return config().public },
        })
      }
    })
  }
  dc.subscribe('fastify.initialization', onInit)
  return routes
}

import type { FastifyInstance } from 'fastify'

/**
 * Fastify compiles every route's response serializers (fast-json-stringify) and validators (Ajv) when the app
 * becomes ready: about two CPU seconds on these machines, paid again by each of the hundreds of apps the tests
 * build, for the same schemas. This keeps what was compiled in this process and hands it to the next app built
 * here when its schema (with the shared schemas and options it was compiled with) is the same, text for text.
 * The functions are the ones the app's own compilers made (the app's validator factory included): the first app
 * of each test file compiles them as before; only the repetition goes.
 */
const serializers = new Map<string, unknown>()
const validators = new Map<string, unknown>()

type Compiler = (route: { schema: unknown; httpPart?: string; [key: string]: unknown }) => unknown
type Factory = (externalSchemas: unknown, options: unknown) => Compiler

function memoized(factory: Factory, cache: Map<string, unknown>, kind: string): Factory {
  return (externalSchemas, options) => {
    const compiler = factory(externalSchemas, options)
    const context = JSON.stringify([kind, externalSchemas, options])
    return (route) => {
      const key = `${context}\n${route.httpPart ?? ''}\n${JSON.stringify(route.schema)}`
      let compiled = cache.get(key)
      if (compiled === undefined) {
        compiled = compiler(route)
        cache.set(key, compiled)
      }
      return compiled
    }
  }
}

/** Call on a built app before `ready()`. */
export function reuseCompiledSchemas(app: FastifyInstance): void {
  const symbol = Object.getOwnPropertySymbols(app).find((s) => s.description === 'fastify.schemaController')
  if (!symbol) throw new Error('fastify has no schema controller where this helper expects one: update test/helpers/compiled-schemas.ts')
  const controller = (app as unknown as Record<symbol, { opts: { compilersFactory: { buildSerializer: Factory; buildValidator: Factory } } }>)[symbol]!
  // One object shared by every encapsulated context of the app (fastify's schema-controller.js).
  const factories = controller.opts.compilersFactory
  factories.buildSerializer = memoized(factories.buildSerializer, serializers, 'serializer')
  factories.buildValidator = memoized(factories.buildValidator, validators, 'validator')
}

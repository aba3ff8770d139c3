import { createHash } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'

/**
 * Fastify compiles every route's response serializers (fast-json-stringify) and validators (Ajv) when the app
 * becomes ready: about two CPU seconds on these machines, paid again by each of the hundreds of apps the tests
 * build, for the same schemas. This keeps what was compiled in this process and hands it to the next app built
 * here when its schema (with the shared schemas and options it was compiled with) is the same, text for text.
 * The functions are the ones the app's own compilers made (the app's validator factory included): the first app
 * of each test file compiles the validators as before; only the repetition goes.
 *
 * Serializers are also kept across processes, on disk: the first app of a test file compiled each one again
 * (fast-json-stringify, with Ajv for its anyOf branches), about a CPU second a file. The same compiler writes the
 * same serializer as code (fast-json-stringify's standalone mode, its validators inlined as Ajv's standalone
 * code) under node_modules/.cache/hotline-test-fjs/, named by the hash of fast-json-stringify's and Ajv's
 * versions, the options, the shared schemas and the schema; the next process requires that file instead of
 * compiling. The serializer is the same code either way (fast-json-stringify builds the function from the same
 * state in both modes).
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

const root = path.resolve(import.meta.dirname, '../..')
const fjsCache = path.join(root, 'node_modules', '.cache', 'hotline-test-fjs')
// Required from inside node_modules, so the files' own require('fast-json-stringify/lib/...') find the package.
const requireCached = createRequire(path.join(fjsCache, 'index.cjs'))
// The inlined validators require Ajv's runtime helpers: its version names the files too.
const versions = ['fast-json-stringify', 'ajv'].map((name) => `${name}@${(requireCached(`${name}/package.json`) as { version: string }).version}`)

/** A serializer factory that reads each serializer from disk when a process before this one wrote it. */
function onDisk(factory: Factory): Factory {
  return (externalSchemas, options) => {
    const standalone = factory(externalSchemas, { ...(options as object), mode: 'standalone', inlineValidators: true })
    const context = JSON.stringify([versions, externalSchemas, options])
    return (route) => {
      const key = createHash('sha256').update(context).update('\n').update(JSON.stringify(route.schema)).digest('hex')
      const file = path.join(fjsCache, `${key}.cjs`)
      try {
        return requireCached(file)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error
      }
      const code = standalone(route) as string
      mkdirSync(fjsCache, { recursive: true })
      // Written aside and renamed: test files run at once and may write the same serializer together.
      const aside = `${file}.${process.pid}.tmp`
      writeFileSync(aside, code)
      renameSync(aside, file)
      return requireCached(file)
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
  factories.buildSerializer = memoized(onDisk(factories.buildSerializer), serializers, 'serializer')
  factories.buildValidator = memoized(factories.buildValidator, validators, 'validator')
}

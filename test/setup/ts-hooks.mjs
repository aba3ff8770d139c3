// Module hooks that run the project's TypeScript in the test files' processes (registered by ts-register.mjs,
// tap's `node-arg` in .taprc: in the process's own thread where Node has stable synchronous hooks, on the loader
// thread otherwise). They do what tap's default TypeScript plugin (ts-node, transpile-only) did:
// TypeScript's own transpileModule with an inline source map, so coverage maps back to the same lines as before;
// but each file's output is kept on disk, keyed by its text and the compiler's options and version, so the 124
// test processes do not transpile the same few hundred files again each (that cost several CPU seconds a file).
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(fileURLToPath(import.meta.url), '../../..')
const cacheDir = path.join(root, 'node_modules', '.cache', 'hotline-test-ts')
const require = createRequire(import.meta.url)
const tsVersion = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version

let ts
let compilerOptions
let optionsKey
/** tsconfig.json's options (as ts-node read them), then what transpiling one ES module file needs. */
function loadCompiler() {
  ts ??= require('typescript')
  if (!compilerOptions) {
    const configFile = path.join(root, 'tsconfig.json')
    const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile)
    if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configFile)
    compilerOptions = {
      ...parsed.options,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: true,
      declaration: false,
      declarationMap: false,
      noEmit: false,
      outDir: undefined,
    }
  }
  return ts
}
optionsKey = createHash('sha256').update(tsVersion).update(readFileSync(path.join(root, 'tsconfig.json'))).update(readFileSync(fileURLToPath(import.meta.url))).digest('hex')

export const isProjectTs = (url) => url.startsWith('file:') && /\.m?ts$/.test(new URL(url).pathname) && !url.includes('/node_modules/')

/** `./x.js` written for `./x.ts` (the NodeNext convention the sources follow): the .ts file when there is no .js. */
export function resolveSync(specifier, context, next) {
  const parent = context.parentURL
  if (parent && isProjectTs(parent) && /^\.{1,2}\//.test(specifier) && /\.m?js$/.test(specifier)) {
    const candidate = new URL(specifier, parent)
    if (!existsSync(candidate)) {
      const ts = new URL(specifier.replace(/\.(m?)js$/, '.$1ts'), parent)
      if (existsSync(ts)) return next(ts.href, context)
    }
  }
  return next(specifier, context)
}

export function loadSync(url, context, next) {
  if (!isProjectTs(url)) return next(url, context)
  const file = fileURLToPath(url)
  const text = readFileSync(file, 'utf8')
  const key = createHash('sha256').update(optionsKey).update(file).update('\0').update(text).digest('hex')
  const cached = path.join(cacheDir, `${key}.js`)
  let source
  try {
    source = readFileSync(cached, 'utf8')
  } catch {
    const compiler = loadCompiler()
    const output = compiler.transpileModule(text, { compilerOptions, fileName: file, reportDiagnostics: false })
    source = output.outputText
    mkdirSync(cacheDir, { recursive: true })
    // Written aside and renamed: test files start at once and may transpile the same file together.
    const aside = `${cached}.${process.pid}.tmp`
    writeFileSync(aside, source)
    renameSync(aside, cached)
  }
  return { format: 'module', source, shortCircuit: true }
}

// The same hooks for module.register (the loader thread): `next` answers a promise there, which they pass on.
export const resolve = async (specifier, context, next) => resolveSync(specifier, context, next)
export const load = async (url, context, next) => loadSync(url, context, next)

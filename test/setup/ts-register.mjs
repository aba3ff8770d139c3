// `--import` in each test file's process (.taprc `node-arg`): TypeScript through ts-hooks.mjs (see there why).
//
// Where Node's synchronous module hooks are stable (24.13 and later, the same test tap's own @tapjs/processinfo
// makes), they run in this thread: with module.register() every import of the process (node_modules included) is
// resolved on a separate loader thread and each answer crosses threads, which cost about 0.7 CPU seconds a process
// (docs/testing.md). Synchronous hooks run in the reverse order of registration, so ours, registered after tap's
// processinfo, answers a .ts file before processinfo's hook sees it: processinfo learns of it (its line lengths and
// source map, for coverage) from its own `record`, given the transpiled source as its hook would have been.
import module from 'node:module'
import { isProjectTs, loadSync, resolveSync } from './ts-hooks.mjs'

const [major, minor] = process.versions.node.split('.').map(Number)
const syncHooks = typeof module.registerHooks === 'function' && (major > 25 || (major === 25 && minor >= 1) || (major === 24 && minor >= 13))

if (syncHooks) {
  const processInfo = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
    .map((arg) => /^"?--import=(.*@tapjs\/processinfo\/dist\/esm\/import\.mjs)"?$/.exec(arg)?.[1])
    .find(Boolean)
  const record = processInfo ? (await import(new URL('./hooks.mjs', processInfo).href)).record : undefined
  let loadingDependency = false
  if (record) skipDependencySourceMaps(() => loadingDependency)
  module.registerHooks({
    resolve: resolveSync,
    load(url, context, next) {
      if (!isProjectTs(url)) {
        loadingDependency = url.includes('/node_modules/')
        try {
          return next(url, context)
        } finally {
          loadingDependency = false
        }
      }
      const loaded = loadSync(url, context, next)
      record?.(url, loaded.source)
      return loaded
    },
  })
} else {
  module.register('./ts-hooks.mjs', import.meta.url)
}

/**
 * processinfo reads the source map of every module it sees load that names one, to list the original files a test
 * touched: in node_modules that is several hundred maps a process (ajv, libphonenumber-js, tap's own...), each parsed
 * in full, about a CPU second a test file, for files no report covers. While a dependency loads, the maps its
 * bookkeeping asks for answer an empty list of sources instead; every other use (stack traces, the coverage
 * written at exit) gets the real map, parsed when first used.
 */
function skipDependencySourceMaps(loadingDependency) {
  const findSourceMap = module.findSourceMap
  const noSources = { sources: [] }
  module.findSourceMap = (url, ...rest) => {
    if (!loadingDependency() || !String(url).includes('/node_modules/')) return findSourceMap(url, ...rest)
    let real
    const map = () => (real ??= findSourceMap(url, ...rest))
    return {
      get payload() {
        return loadingDependency() ? noSources : map()?.payload
      },
      get lineLengths() {
        return map()?.lineLengths
      },
      findEntry: (line, column) => map()?.findEntry(line, column) ?? {},
      findOrigin: (line, column) => map()?.findOrigin(line, column) ?? {},
    }
  }
  module.syncBuiltinESMExports()
}

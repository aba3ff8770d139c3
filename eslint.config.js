// ESLint flat config (ESLint 10). Syntax-only rules: no type-aware linting, so it stays fast;
// `npm run typecheck` (tsc --noEmit) is what checks types.
import js from '@eslint/js'
import { defineConfig, globalIgnores } from 'eslint/config'
import tseslint from 'typescript-eslint'

// Node.js globals for plain .js/.mjs/.cjs files (TypeScript files get no-undef turned off by
// typescript-eslint, since tsc already reports undefined names).
const nodeGlobals = Object.fromEntries(
  [
    'AbortController', 'AbortSignal', 'Blob', 'Buffer', 'URL', 'URLSearchParams', 'TextDecoder', 'TextEncoder',
    'clearImmediate', 'clearInterval', 'clearTimeout', 'console', 'fetch', 'global', 'globalThis', 'performance',
    'process', 'queueMicrotask', 'setImmediate', 'setInterval', 'setTimeout', 'structuredClone',
  ].map((name) => [name, 'readonly']),
)

export default defineConfig(
  globalIgnores(['**/node_modules/', 'dist/', 'coverage/', '.tap/', '.hotline/', 'test/artifacts/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: nodeGlobals,
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Unused names are errors unless they start with `_` (placeholders, ignored callback args, omitted fields).
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Migrations are frozen snapshots that must not import the app's Database type: `Kysely<any>` is the
    // pattern Kysely documents for them.
    files: ['migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The board's page script (src/board/public): plain JavaScript run by browsers, not by Node.
    files: ['src/board/public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries([
        'window', 'document', 'navigator', 'sessionStorage', 'localStorage', 'fetch', 'EventSource', 'Intl', 'Node',
        'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'console', 'URL',
      ].map((name) => [name, 'readonly'])),
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...nodeGlobals, require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly' },
    },
  },
)

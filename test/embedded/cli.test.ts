// What the CLI says about the embedded default: `api` and `worker` need explicit URLs; `start` without
// redis-server says how to get one. Nothing here starts a server.
import { mkdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { runCli as runCliIn } from '../helpers/child-env.js'
import { tempDir } from '../helpers/embedded.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

const runCli = (args: string[], env: Record<string, string>) => runCliIn(args, env, { cwd: root })

t.test('`api` with no DATABASE_URL says it needs explicit URLs', async (t) => {
  const { code, stderr, stdout } = await runCli(['api'], { REDIS_URL: 'redis://127.0.0.1:6379' })
  t.equal(code, 78, 'a configuration error')
  t.equal(stderr, '`api` needs explicit DATABASE_URL and REDIS_URL (DATABASE_URL is unset or embedded): the embedded services are for `start` only\n')
  t.equal(stdout, '')
})

t.test('`worker` with DATABASE_URL=embedded and no REDIS_URL says the same', async (t) => {
  const { code, stderr } = await runCli(['worker'], { DATABASE_URL: 'embedded' })
  t.equal(code, 78)
  t.match(stderr, /^`worker` needs explicit DATABASE_URL and REDIS_URL \(DATABASE_URL and REDIS_URL are unset or embedded\)/)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
})

t.test('`start` without redis-server on PATH says in one line how to get one, before starting anything', async (t) => {
  // A PATH with only `env` (spawnCli runs node through it): no redis-server.
  const bin = path.join(tempDir(t, 'cli-path'), 'bin')
  mkdirSync(bin)
  symlinkSync('/usr/bin/env', path.join(bin, 'env'))
  const { code, stderr } = await runCli(['start'], { PATH: bin, LOG_LEVEL: 'warn' })
  t.equal(code, 1)
  t.equal(stderr, 'hotline: redis-server not found on PATH: install Redis (apt-get install redis-server, brew install redis) or set REDIS_URL\n')
})

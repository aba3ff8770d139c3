import { runCli as runCliIn } from '../helpers/child-env.js'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../..', import.meta.url))

const runCli = (args: string[], env: Record<string, string>) => runCliIn(args, env, { cwd: root })

t.test('a bad PORT stops `cli.ts api` with a message naming PORT', async (t) => {
  const { code, stderr, stdout } = await runCli(['api'], { PORT: 'abc' })
  t.not(code, 0, 'exits non-zero')
  t.not(code, null, 'exits by itself, not killed by the timeout')
  t.match(stderr, /PORT/)
  t.match(stderr, /invalid configuration/)
  t.notMatch(stdout, /listening/i, 'never starts listening')
})

t.test('a bad LOG_LEVEL lists the levels, and a secret in DATABASE_URL stays hidden', async (t) => {
  const { code, stderr } = await runCli(['api'], { LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://u:s3cret-pw@db/x' })
  t.not(code, 0)
  t.match(stderr, /LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent/)
  t.match(stderr, /DATABASE_URL/)
  t.notMatch(stderr, 's3cret-pw')
})

t.test('an unknown command prints the usage', async (t) => {
  const { code, stderr } = await runCli(['serve'], {})
  t.not(code, 0)
  t.match(stderr, /usage: .*start \| api \| worker \| migrate \| openapi/)
})

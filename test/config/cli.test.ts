import { spawnCli } from '../helpers/child-env.js'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../..', import.meta.url))

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A safety net only: the child exits by itself; a loaded two-core machine can take 30 s to load it through tsx.
      timeout: 100_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk) => (stdout += chunk))
    child.stderr?.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

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

import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { hashToken } from '../../src/auth/tokens.js'
import { createDb } from '../../src/db/database.js'
import { deleteKeys, REDIS_URL } from '../helpers/app.js'
import { runCli } from '../helpers/child-env.js'
import { createTestDatabase } from '../helpers/databases.js'

// The operator's commands, run as `hotline ...` is (src/cli.ts in a child process) against a database of their own.
const root = fileURLToPath(new URL('../..', import.meta.url))

async function setup(t: Test) {
  const database = await createTestDatabase()
  const db = createDb(database.url, { max: 2 })
  const prefix = `hotline-cli-${process.pid}`
  t.teardown(async () => {
    await db.destroy()
    await database.drop()
  })
  const hotline = (...args: string[]) => runCli(args, { DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' }, { cwd: root })
  return { db, hotline, prefix }
}

t.test('users create, rotate-token and deactivate', async (t) => {
  const { db, hotline } = await setup(t)
  const created = await hotline('users', 'create', '--name', '陈刚', '--role', 'supervisor', '--level', '2', '--compensation-limit', '5000', '--team', 'east', '--team', 'north')
  t.equal(created.code, 0, created.stderr)
  const user = JSON.parse(created.stdout)
  t.match(user, { name: '陈刚', role: 'supervisor', level: 2, compensationLimit: 5000, teams: ['east', 'north'], active: true })
  const stored = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow()
  t.equal(stored.tokenHash, hashToken(user.token), 'the printed token is the one that signs in; only its hash is stored')

  const rotated = await hotline('users', 'rotate-token', user.id)
  t.equal(rotated.code, 0, rotated.stderr)
  const { token } = JSON.parse(rotated.stdout)
  t.not(token, user.token)
  const after = await db.selectFrom('users').select('tokenHash').where('id', '=', user.id).executeTakeFirstOrThrow()
  t.equal(after.tokenHash, hashToken(token), 'the new token replaces the old one')

  const deactivated = await hotline('users', 'deactivate', user.id)
  t.equal(deactivated.code, 0, deactivated.stderr)
  t.match(JSON.parse(deactivated.stdout), { id: user.id, active: false })
})

t.test('users commands refuse what POST /v1/users refuses, with the usage', async (t) => {
  const { hotline } = await setup(t)
  const noLevel = await hotline('users', 'create', '--name', 'Li', '--role', 'supervisor')
  t.equal(noLevel.code, 64)
  t.match(noLevel.stderr, /a supervisor needs a level/)
  t.match(noLevel.stderr, /hotline users create --name NAME/)
  const badRole = await hotline('users', 'create', '--name', 'Li', '--role', 'boss')
  t.equal(badRole.code, 64)
  t.match(badRole.stderr, /\/role/)
  const unknown = await hotline('users', 'deactivate', '00000000-0000-4000-8000-000000000000')
  t.equal(unknown.code, 64)
  t.match(unknown.stderr, /no user 00000000-0000-4000-8000-000000000000/)
  t.equal((await hotline('users', 'deactivate', 'not-a-uuid')).code, 64)
})

t.test('migrate status lists every migration; migrate down undoes the latest; migrate applies it again', async (t) => {
  const { db, hotline } = await setup(t)
  const status = await hotline('migrate', 'status')
  t.equal(status.code, 0, status.stderr)
  const lines = status.stdout.trim().split('\n')
  t.ok(lines.length > 20 && lines.every((line) => line.startsWith('applied ')), 'all applied')
  const latest = lines.at(-1)!.split(/\s+/).at(-1)!

  const down = await hotline('migrate', 'down')
  t.equal(down.code, 0, down.stderr)
  t.equal(down.stdout.trim(), `undid ${latest}`)
  const pending = (await hotline('migrate', 'status')).stdout.trim().split('\n')
  t.match(pending.at(-1), new RegExp(`^pending\\s+${latest}$`))

  t.equal((await hotline('migrate')).code, 0)
  const applied = await sql<{ n: number }>`select count(*)::int as n from kysely_migration where name = ${latest}`.execute(db)
  t.equal(applied.rows[0]!.n, 1, 'applied again')
  t.equal((await hotline('migrate', 'sideways')).code, 64)
})

t.test('seed --demo fills an empty database with a day of complaints, and refuses one that has complaints', async (t) => {
  const { db, hotline, prefix } = await setup(t)
  const redis = new Redis(REDIS_URL)
  t.teardown(async () => {
    await deleteKeys(redis, `${prefix}:*`)
    redis.disconnect()
  })
  const seeded = await hotline('seed', '--demo')
  t.equal(seeded.code, 0, seeded.stderr)
  const report = JSON.parse(seeded.stdout)
  t.equal(report.complaints, 48)
  t.same(report.users.map((u: { role: string }) => u.role).sort(), ['admin', 'agent', 'agent', 'agent', 'supervisor', 'supervisor', 'supervisor'])
  for (const user of report.users) {
    const row = await db.selectFrom('users').select('id').where('tokenHash', '=', hashToken(user.token)).executeTakeFirst()
    t.ok(row, `${user.name} can sign in with the printed token`)
  }
  const states = await db.selectFrom('complaints').select(['state', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('state').execute()
  const byState = Object.fromEntries(states.map((s) => [s.state, Number(s.n)]))
  t.equal(Object.values(byState).reduce((a, b) => a + b, 0), 48)
  for (const state of ['logged', 'escalated', 'follow_up']) t.ok(byState[state]! > 0, `some complaints are ${state}`)
  const spread = await sql<{ hours: number }>`select extract(epoch from max(created_at) - min(created_at)) / 3600 as hours from complaints`.execute(db)
  t.ok(Number(spread.rows[0]!.hours) > 20, 'spread over the day')
  const languages = await sql<{ summary: string }>`select summary from complaints`.execute(db)
  t.ok(languages.rows.some((r) => /[\u4e00-\u9fff]/.test(r.summary)) && languages.rows.some((r) => /^[A-Z][a-z]/.test(r.summary)), 'Chinese and English')

  const again = await hotline('seed', '--demo')
  t.equal(again.code, 65)
  t.match(again.stderr, /already has complaints/)
  t.equal((await hotline('seed')).code, 64, 'seed without --demo is a usage error')
})

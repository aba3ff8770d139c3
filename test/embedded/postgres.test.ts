// The embedded Postgres (and, after a SIGKILL, the embedded services together), with real processes. One initdb
// for the whole file: the tests run in order on one data folder, and the SIGKILL test works on a copy of it.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import t from 'tap'
import { startEmbeddedPostgres } from '../../src/embedded/postgres.js'
import { isAlive } from '../../src/embedded/process.js'
import { startEmbeddedServices } from '../../src/embedded/services.js'
import { TS_IMPORT } from '../helpers/child-env.js'
import { copyFolder, portRefused, query, quietLogger, tempDir } from '../helpers/embedded.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = path.join(tempDir(t, 'embedded-pg'), 'postgres')
const postmasterPid = () => Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])

t.test('the first start initialises the folder and answers a query', async (t) => {
  const postgres = await startEmbeddedPostgres({ dir, logger: quietLogger })
  t.teardown(postgres.stop)
  t.match(postgres.serverUrl, /^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+$/)
  t.not(postgres.port, 5432, 'a port of its own')
  const [row] = await query<{ port: number; superuser: boolean }>(postgres.serverUrl,
    `select inet_server_port() as port, rolsuper as superuser from pg_roles where rolname = current_user`)
  t.same(row, { port: postgres.port, superuser: true }, 'TCP on its port, as a superuser')
  t.equal(readFileSync(path.join(dir, 'data', 'PG_VERSION'), 'utf8').trim(), '18')
  t.equal(statSync(path.join(dir, 'password')).mode & 0o777, 0o600, 'the password file is 0600')
  const [socketDirs] = await query<{ unix_socket_directories: string }>(postgres.serverUrl, 'show unix_socket_directories')
  t.equal(socketDirs?.unix_socket_directories, '', 'no Unix socket')
  await query(postgres.serverUrl, `create table kept (note text); insert into kept values ('still here')`)
})

t.test('stop leaves no process and frees the port', async (t) => {
  const postgres = await startEmbeddedPostgres({ dir, logger: quietLogger })
  const pid = postmasterPid()
  t.ok(isAlive(pid))
  await postgres.stop()
  t.notOk(isAlive(pid), 'the postmaster has exited when stop() resolves')
  t.ok(await portRefused(postgres.port), 'nothing listens on its port')
  await postgres.stop()
  t.pass('a second stop() is harmless')
})

t.test('a second start reuses the data folder', async (t) => {
  const postgres = await startEmbeddedPostgres({ dir, logger: quietLogger })
  t.teardown(postgres.stop)
  t.same(await query(postgres.serverUrl, 'select note from kept'), [{ note: 'still here' }])
})

t.test('a stale postmaster.pid does not block the start, and another process named in it is left alone', async (t) => {
  const dead = spawn('true')
  await new Promise((resolve) => dead.once('exit', resolve))
  for (const pid of [dead.pid as number, process.pid]) {
    writeFileSync(path.join(dir, 'data', 'postmaster.pid'), `${pid}\n${path.join(dir, 'data')}\n0\n5999\n\n127.0.0.1\n0 0\nready\n`)
    const postgres = await startEmbeddedPostgres({ dir, logger: quietLogger })
    t.same(await query(postgres.serverUrl, 'select note from kept'), [{ note: 'still here' }], `pid ${pid === process.pid ? 'of a live process' : 'gone'}`)
    await postgres.stop()
  }
  t.ok(isAlive(process.pid), 'this process was not signalled')
})

t.test('a start after the parent was killed with SIGKILL works', async (t) => {
  const services = path.join(tempDir(t, 'embedded-sigkill'), 'hotline')
  mkdirSync(services)
  copyFolder(dir, path.join(services, 'postgres'))
  const child = spawn('env', ['-u', 'NODE_V8_COVERAGE', '-u', 'NODE_OPTIONS', process.execPath, '--import', TS_IMPORT,
    'test/embedded/fixtures/services-child.ts', services], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const first = await new Promise<{ databaseUrl: string; redisUrl: string; postgresPid: number; redisPid: number }>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] as string))
    })
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before printing its URLs`)))
  })
  const before = new Redis(first.redisUrl)
  await before.set('kept', 'in redis')
  before.disconnect()
  child.kill('SIGKILL')
  await exited
  t.ok(isAlive(first.postgresPid) && isAlive(first.redisPid), 'its servers outlived it (the orphans this test is about)')

  const again = await startEmbeddedServices({ databaseUrl: undefined, redisUrl: 'embedded', dir: services, logger: quietLogger })
  t.teardown(again.stop)
  t.notOk(isAlive(first.postgresPid), 'the orphan postgres was stopped')
  t.notOk(isAlive(first.redisPid), 'the orphan redis-server was stopped')
  t.match(again.databaseUrl, /^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+\/hotline$/, 'the URL names the database')
  t.same(await query(again.postgres?.serverUrl as string, 'select note from kept'), [{ note: 'still here' }])
  const after = new Redis(again.redisUrl as string)
  t.equal(await after.get('kept'), 'in redis', 'Redis kept its data (append-only file)')
  after.disconnect()
  await again.stop()
  t.ok(await portRefused(again.postgres?.port as number))
  t.ok(await portRefused(again.redis?.port as number))
})

t.test('as root, a folder the unprivileged user cannot reach is refused in one line', { skip: process.getuid?.() !== 0 && 'not root' }, async (t) => {
  const locked = path.join(tempDir(t, 'embedded-locked'), 'locked')
  mkdirSync(locked, { mode: 0o700 })
  const error = await startEmbeddedPostgres({ dir: path.join(locked, 'postgres'), logger: quietLogger }).then(() => undefined, (e: Error) => e)
  t.match(error?.message, /runs as user \S+ \(not root\), who cannot reach .*locked\/postgres/)
  t.notMatch(error?.message, /\n/, 'one line')
})

// The embedded Redis, with a real redis-server from PATH.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import t from 'tap'
import { isAlive } from '../../src/embedded/process.js'
import { answersPing, REDIS_SERVER_MISSING, startEmbeddedRedis } from '../../src/embedded/redis.js'
import { portRefused, quietLogger, tempDir } from '../helpers/embedded.js'

const dir = path.join(tempDir(t, 'embedded-redis'), 'redis')

t.test('the first start answers PING with the settings BullMQ needs', async (t) => {
  const redis = await startEmbeddedRedis({ dir, logger: quietLogger })
  t.teardown(redis.stop)
  t.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/)
  t.not(redis.port, 6379, 'a port of its own')
  t.ok(await answersPing(redis.port))
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  t.same(await client.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction'])
  t.same(await client.config('GET', 'appendonly'), ['appendonly', 'yes'])
  t.same(await client.config('GET', 'save'), ['save', ''], 'no RDB snapshots')
  t.same(await client.config('GET', 'bind'), ['bind', '127.0.0.1'])
  await client.set('kept', 'across restarts')
})

t.test('stop leaves no process and frees the port; the next start keeps the data', async (t) => {
  const first = await startEmbeddedRedis({ dir, logger: quietLogger })
  const pid = Number(readFileSync(path.join(dir, 'redis.pid'), 'utf8').trim())
  t.ok(isAlive(pid))
  await first.stop()
  t.notOk(isAlive(pid), 'redis-server has exited when stop() resolves')
  t.ok(await portRefused(first.port), 'nothing listens on its port')

  const second = await startEmbeddedRedis({ dir, logger: quietLogger })
  t.teardown(second.stop)
  const client = new Redis(second.url)
  t.teardown(() => client.disconnect())
  t.equal(await client.get('kept'), 'across restarts', 'read back from the append-only file')
})

t.test('without redis-server on PATH, one line says how to get one', async (t) => {
  const empty = tempDir(t, 'no-redis')
  const error = await startEmbeddedRedis({ dir: path.join(empty, 'redis'), logger: quietLogger, searchPath: empty }).then(() => undefined, (e: Error) => e)
  t.equal(error?.message, REDIS_SERVER_MISSING)
  t.match(error?.message, /^redis-server not found on PATH: install Redis \(.*\) or set REDIS_URL$/)
})

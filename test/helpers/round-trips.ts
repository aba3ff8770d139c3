import { Pipeline, Redis } from 'ioredis'
import pg from 'pg'
import type { Test } from 'tap'

/**
 * Records every SQL statement any pg client of this process sends, and every Redis round trip (a pipeline or MULTI
 * travels as one write and is one; a command sent on its own is one too), until the test file ends. On two cores a
 * round trip is what a request costs (issues 11 and 12).
 */
export function recordRoundTrips(t: Test): { sql: string[]; redis: string[]; clear: () => void } {
  const sql: string[] = []
  const redis: string[] = []
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string }
    sql.push((typeof first === 'string' ? first : first?.text ?? '?').replace(/\s+/g, ' ').trim())
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof pg.Client.prototype.query
  const piped = new WeakSet<object>()
  const sendCommand = Redis.prototype.sendCommand
  Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    if (!piped.has(args[0])) redis.push(String(args[0].name))
    return sendCommand.apply(this, args)
  }
  const exec = Pipeline.prototype.exec
  Pipeline.prototype.exec = function (this: Pipeline, ...args: Parameters<Pipeline['exec']>) {
    const queued = (this as unknown as { _queue: { name: string }[] })._queue
    for (const command of queued) piped.add(command)
    redis.push(`pipeline (${queued.map((c) => c.name).join(' ')})`)
    return exec.apply(this, args)
  }
  t.teardown(() => {
    pg.Client.prototype.query = query
    Redis.prototype.sendCommand = sendCommand
    Pipeline.prototype.exec = exec
  })
  return { sql, redis, clear: () => { sql.length = 0; redis.length = 0 } }
}

// The floor (issue 11): what this machine does with the same stack and no ceremony. Fastify + pg + one BullMQ add,
// no validation, three routes doing the least a complaint service must do:
//   POST /complaints             BEGIN, two INSERTs (customer, complaint), COMMIT, one BullMQ add
//   GET  /complaints/:id         one SELECT by id
//   POST /complaints/:id/resolve BEGIN, SELECT ... FOR UPDATE, UPDATE, INSERT (event), COMMIT, one BullMQ add
// Run by bench/load.ts as a child process: FLOOR_DATABASE_URL, FLOOR_REDIS_URL, FLOOR_PORT. Prints "listening PORT".
import { Queue } from 'bullmq'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.FLOOR_DATABASE_URL, max: 20 })
const redis = new Redis(process.env.FLOOR_REDIS_URL ?? 'redis://127.0.0.1:6379/13', { maxRetriesPerRequest: null })
const queue = new Queue('floor', { connection: redis, prefix: 'hotline-floor' })
const JOB = { removeOnComplete: true, removeOnFail: true, delay: 3 * 86_400_000 }

await pool.query(`
  create table if not exists floor_customers (id uuid primary key default gen_random_uuid(), name text, phone text);
  create table if not exists floor_complaints (id uuid primary key default gen_random_uuid(), customer_id uuid not null,
    state text not null, summary text not null, version int not null default 1, created_at timestamptz not null default now());
  create table if not exists floor_events (id bigserial primary key, complaint_id uuid not null, type text not null,
    data jsonb not null, at timestamptz not null default now())`)

async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    const result = await work(client)
    await client.query('commit')
    return result
  } catch (error) {
    await client.query('rollback').catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}

const app = Fastify({ logger: false })

app.post('/complaints', async (request, reply) => {
  const body = request.body as { customer?: { name?: string; phone?: string }; summary?: string }
  const complaint = await inTransaction(async (client) => {
    const customer = await client.query<{ id: string }>('insert into floor_customers (name, phone) values ($1, $2) returning id',
      [body.customer?.name ?? null, body.customer?.phone ?? null])
    const inserted = await client.query('insert into floor_complaints (customer_id, state, summary) values ($1, $2, $3) returning *',
      [customer.rows[0]!.id, 'logged', body.summary ?? ''])
    return inserted.rows[0]
  })
  await queue.add('response', { id: complaint.id }, { ...JOB, jobId: `response-${complaint.id}` })
  return reply.code(201).send(complaint)
})

app.get('/complaints/:id', async (request, reply) => {
  const { rows } = await pool.query('select * from floor_complaints where id = $1', [(request.params as { id: string }).id])
  return rows[0] ? rows[0] : reply.code(404).send({ code: 'not_found' })
})

app.post('/complaints/:id/resolve', async (request, reply) => {
  const id = (request.params as { id: string }).id
  const complaint = await inTransaction(async (client) => {
    const { rows } = await client.query('select * from floor_complaints where id = $1 for update', [id])
    if (!rows[0]) return undefined
    const updated = await client.query('update floor_complaints set state = $2, version = version + 1 where id = $1 returning *', [id, 'follow_up'])
    await client.query('insert into floor_events (complaint_id, type, data) values ($1, $2, $3)', [id, 'complaint.resolved', JSON.stringify(request.body ?? {})])
    return updated.rows[0]
  })
  if (!complaint) return reply.code(404).send({ code: 'not_found' })
  await queue.add('follow_up', { id }, { ...JOB, jobId: `follow-up-${id}-${complaint.version}` })
  return complaint
})

await app.listen({ host: '127.0.0.1', port: Number(process.env.FLOOR_PORT ?? 0) })
const address = app.server.address()
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`)

process.on('SIGTERM', () => {
  void app.close().then(() => queue.close()).then(() => pool.end()).then(() => redis.quit()).finally(() => process.exit(0))
})

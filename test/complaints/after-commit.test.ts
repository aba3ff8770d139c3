import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { toAuthUser } from '../../src/auth/auth.plugin.js'
import { ComplaintService } from '../../src/complaints/complaint.service.js'
import { createDb } from '../../src/db/database.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { withAdminClient } from '../helpers/databases.js'

// "No 5xx that committed" (issue 10): a request that committed answers 2xx built from the committed rows. Here
// Postgres stops accepting connections to the database right after COMMIT (what a restart or a failover between
// the commit and the next query does): before, the answer was loaded after the commit and the request failed.
const testApp = await setupApp(t, {
  // The connection drops after the commit, before the answer leaves: the client never sees it.
  extend: (app) => {
    app.addHook('onSend', async (request) => {
      if (request.headers['x-test-drop-answer']) request.raw.socket?.destroy()
    })
  },
})
const { db, user, call } = testApp
const name = new URL(testApp.databaseUrl).pathname.slice(1)

async function cutOff(allow: boolean) {
  await withAdminClient(async (c) => {
    await c.query(`alter database ${name} allow_connections ${allow}`)
    if (!allow) await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name])
  })
}

t.test('a command whose connection to Postgres is lost right after COMMIT still answers with what it committed', async (t) => {
  const agent = await user('agent')
  const agentUser = toAuthUser((await db.selectFrom('users').selectAll().where('id', '=', agent.id).executeTakeFirstOrThrow()))
  const serviceDb = createDb(testApp.databaseUrl, { max: 4 })
  t.teardown(async () => {
    await cutOff(true)
    await serviceDb.destroy()
  })
  let failures = 0
  const service = new ComplaintService({
    db: serviceDb,
    afterCommit: async () => {
      await cutOff(false)
      // And the after-commit work itself fails: it must not fail the request either.
      failures++
      throw new Error('after-commit work failed')
    },
    logger: { error: () => {} } as never,
  })

  const created = await service.create(agentUser, aComplaint({ summary: 'committed, then cut off' }) as never, 'key-after-commit-1')
  t.equal(failures, 1)
  t.equal(created.replayed, false)
  t.equal(created.record.complaint.state, 'logged', 'the answer is the committed complaint')
  await cutOff(true)
  const stored = await db.selectFrom('complaints').selectAll().where('id', '=', created.record.complaint.id).executeTakeFirstOrThrow()
  t.equal(stored.version, created.record.complaint.version, 'the very version that committed')
  t.same(created.record.timers.map((timer) => timer.kind).sort(), ['response', 'response_warning'], 'with its deadlines')

  const acted = await service.act(agentUser, stored.id, undefined, (actor) => ({ event: { type: 'NOTE', actor }, data: { text: 'x' } }) as never)
  t.equal(failures, 2)
  t.equal(acted.complaint.version, stored.version + 1, 'an action too answers the version it committed')
  await cutOff(true)
  const after = await db.selectFrom('complaints').select('version').where('id', '=', stored.id).executeTakeFirstOrThrow()
  t.equal(after.version, acted.complaint.version)
})

t.test('a retry with the same Idempotency-Key after the client lost the answer gets the committed complaint', async (t) => {
  const agent = await user('agent')
  await testApp.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = testApp.app.server.address() as AddressInfo
  const body = JSON.stringify(aComplaint({ summary: 'answer lost on the way' }))
  const key = `lost-${Date.now()}`
  const lost = await new Promise<string>((resolve) => {
    const request = http.request({
      host: '127.0.0.1', port, path: '/v1/complaints', method: 'POST',
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${agent.token}`,
        'idempotency-key': key, 'x-test-drop-answer': '1',
      },
    })
    request.on('error', (error) => resolve(error.message))
    request.on('response', (response) => resolve(`an answer: ${response.statusCode}`))
    request.end(body)
  })
  t.equal(lost, 'socket hang up', 'the client got no answer')
  const committed = await db.selectFrom('idempotencyKeys').select('complaintId').where('key', '=', key).executeTakeFirstOrThrow()

  const retry = await call('POST', '/v1/complaints', agent, JSON.parse(body), { 'idempotency-key': key })
  t.equal(retry.statusCode, 200)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.json().id, committed.complaintId, 'the complaint the lost request committed')
  const mine = await db.selectFrom('complaints').select('id').where('summary', '=', 'answer lost on the way').execute()
  t.equal(mine.length, 1, 'and no second one')
})

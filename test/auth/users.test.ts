import t from 'tap'
import { hashToken } from '../../src/auth/tokens.js'
import { ensureBootstrapAdmin } from '../../src/auth/users.repository.js'
import { setupApp } from '../helpers/app.js'

t.test('an admin creates users; the token is shown once and only its hash is stored', async (t) => {
  const { call, admin, db } = await setupApp(t)
  const created = await call('POST', '/v1/users', admin, { name: 'Sam Lead', role: 'supervisor', level: 2, compensationLimit: 300, teams: ['east'] })
  t.equal(created.statusCode, 201)
  const body = created.json()
  t.match(body, { name: 'Sam Lead', role: 'supervisor', level: 2, compensationLimit: 300, teams: ['east'], active: true })
  t.match(body.token, /^htl_[\w-]{43}$/)
  t.notOk('webhookSecret' in body)
  const row = await db.selectFrom('users').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow()
  t.equal(row.tokenHash, hashToken(body.token))
  t.notOk(JSON.stringify(row).includes(body.token), 'the token itself is not stored')

  const me = await call('GET', '/v1/me', { id: body.id, token: body.token, role: 'supervisor' })
  t.equal(me.json().id, body.id)
  t.notOk('token' in me.json())

  const listed = await call('GET', '/v1/users?role=supervisor', admin)
  t.same(listed.json().items.map((u: { id: string }) => u.id), [body.id])
  t.notOk(JSON.stringify(listed.json()).includes(body.token))
})

t.test('integrations get a Standard Webhooks secret', async (t) => {
  const { call, admin } = await setupApp(t)
  const created = await call('POST', '/v1/users', admin, { name: 'Web shop', role: 'integration' })
  t.equal(created.statusCode, 201)
  t.match(created.json().webhookSecret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.equal(Buffer.from(created.json().webhookSecret.slice(6), 'base64').length, 32)
})

t.test('levels belong to supervisors only', async (t) => {
  const { call, admin, user } = await setupApp(t)
  const noLevel = await call('POST', '/v1/users', admin, { name: 'x', role: 'supervisor' })
  t.equal(noLevel.statusCode, 400)
  t.same(noLevel.json().errors, [{ field: 'body.level', message: 'a supervisor needs a level (1, 2 or 3)' }])
  t.equal((await call('POST', '/v1/users', admin, { name: 'x', role: 'agent', level: 1 })).statusCode, 400)
  t.equal((await call('POST', '/v1/users', admin, { name: 'x', role: 'supervisor', level: 4 })).statusCode, 400)
  t.equal((await call('POST', '/v1/users', admin, { name: 'x', role: 'boss' })).json().code, 'validation_failed')
  const agent = await user('agent')
  t.equal((await call('PATCH', `/v1/users/${agent.id}`, admin, { level: 2 })).statusCode, 400)
})

t.test('deactivating a user revokes its token; limits and levels change', async (t) => {
  const { call, admin, user } = await setupApp(t)
  const agent = await user('agent', { compensationLimit: 10 })
  const raised = await call('PATCH', `/v1/users/${agent.id}`, admin, { compensationLimit: 80.5 })
  t.equal(raised.json().compensationLimit, 80.5)
  t.equal((await call('GET', '/v1/me', agent)).statusCode, 200)
  const deactivated = await call('PATCH', `/v1/users/${agent.id}`, admin, { active: false })
  t.equal(deactivated.json().active, false)
  const refused = await call('GET', '/v1/me', agent)
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'unauthorized')
  t.equal((await call('PATCH', `/v1/users/${admin.id}`, admin, { active: false })).json().code, 'conflict')
  t.equal((await call('PATCH', '/v1/users/00000000-0000-4000-8000-000000000000', admin, { name: 'n' })).statusCode, 404)
  t.equal((await call('PATCH', `/v1/users/${agent.id}`, admin, {})).statusCode, 400, 'an empty patch is refused')
})

t.test('only admins manage users', async (t) => {
  const { call, user } = await setupApp(t)
  for (const role of ['agent', 'supervisor', 'integration'] as const) {
    const someone = await user(role)
    const refused = await call('POST', '/v1/users', someone, { name: 'x', role: 'admin' })
    t.equal(refused.statusCode, 403, role)
    t.equal(refused.json().code, 'forbidden')
    t.equal((await call('GET', '/v1/users', someone)).statusCode, 403)
  }
  t.equal((await call('GET', '/v1/users', null)).statusCode, 401)
  t.equal((await call('GET', '/v1/users', null, undefined, { authorization: 'Bearer nope' })).statusCode, 401)
  t.equal((await call('GET', '/v1/users', null, undefined, { authorization: 'Basic abc' })).statusCode, 401)
})

t.test('the bootstrap admin is created once and kept', async (t) => {
  const { db } = await setupApp(t)
  const hash = hashToken('bootstrap-token-for-tests')
  const first = await ensureBootstrapAdmin(db, hash)
  const second = await ensureBootstrapAdmin(db, hash)
  t.equal(first.id, second.id)
  t.equal(first.role, 'admin')
  await db.updateTable('users').set({ active: false }).where('id', '=', first.id).execute()
  t.equal((await ensureBootstrapAdmin(db, hash)).active, true, 'a deactivated bootstrap admin is reactivated')
  const count = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('tokenHash', '=', hash).executeTakeFirstOrThrow()
  t.equal(Number(count.n), 1)
})

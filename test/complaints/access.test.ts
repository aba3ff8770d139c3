import t from 'tap'
import { ACTION_NAMES, type ActionName } from '../../workflows/complaint.machine.js'
import { actionRoles } from '../../src/complaints/complaint.routes.js'
import { USER_ROLES } from '../../src/db/tables.js'
import { aComplaint, setupApp } from '../helpers/app.js'

// A valid body for every action: an action added to the machine without one fails the build here as well.
const ACTION_BODIES: Record<ActionName, unknown> = {
  log: {}, resolve: { summary: 'done' }, escalate: { reason: 'why' }, acknowledge: {},
  'follow-up': { outcome: 'satisfied' }, withdraw: { reason: 'why' }, assign: { assigneeId: '00000000-0000-4000-8000-000000000000' },
  notes: { text: 'hello' }, 'await-customer': {}, resume: {}, merge: { into: '00000000-0000-4000-8000-000000000000' },
  'request-extension': { until: '2099-01-01T00:00:00Z', reason: 'why' }, 'decide-extension': { approve: false },
  transfer: { team: 'billing', reason: 'why' }, 'send-back': { reason: 'why' }, reopen: { reason: 'why' },
}

t.test('every action, every role: the roles its route allows get past authorization, the others 403 forbidden', async (t) => {
  const { call, user, admin } = await setupApp(t)
  const as = {
    agent: await user('agent', { compensationLimit: 1_000 }),
    supervisor: await user('supervisor', { level: 3, compensationLimit: 1_000 }),
    admin,
    integration: await user('integration'),
  }
  const refused = (await call('POST', '/v1/complaints', as.agent, aComplaint())).json()
  for (const action of ACTION_NAMES) {
    const allowed = actionRoles(action)
    t.ok(allowed.length > 0, `${action}: some role may post it`)
    for (const role of USER_ROLES) {
      if (allowed.includes(role)) {
        // A complaint of its own, so that what an earlier call did cannot answer for this one.
        const { id } = (await call('POST', '/v1/complaints', as.agent, aComplaint())).json()
        const response = await call('POST', `/v1/complaints/${id}/${action}`, as[role], ACTION_BODIES[action])
        t.ok(response.statusCode !== 403 && response.statusCode !== 401 && response.statusCode < 500,
          `${role} may ${action} (${response.statusCode} ${response.json().code ?? ''})`)
      } else {
        const response = await call('POST', `/v1/complaints/${refused.id}/${action}`, as[role], ACTION_BODIES[action])
        t.same([response.statusCode, response.json().code], [403, 'forbidden'], `${role} may not ${action}`)
      }
    }
  }
  t.equal((await call('GET', `/v1/complaints/${refused.id}`, as.agent)).json().version, refused.version, 'refusals changed nothing')
})

t.test('admin reads but never acts; integration sees only its own complaints', async (t) => {
  const { call, user, admin, db } = await setupApp(t)
  const agent = await user('agent')
  const integration = await user('integration')
  const other = await user('integration')
  const mine = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'from the shop' }))).json()
  const theirs = (await call('POST', '/v1/complaints', agent, aComplaint({ summary: 'from a call' }))).json()
  await db.updateTable('complaints').set({ integrationId: integration.id }).where('id', '=', mine.id).execute()

  t.equal((await call('GET', '/v1/complaints', admin)).json().items.length, 2, 'admin lists')
  const asAdmin = await call('GET', `/v1/complaints/${mine.id}`, admin)
  t.equal(asAdmin.statusCode, 200)
  t.same(asAdmin.json().actions, [], 'admin is offered no action')
  t.equal((await call('GET', `/v1/complaints/${mine.id}/events`, admin)).statusCode, 200)
  for (const [who, as] of [['admin', admin], ['integration', integration]] as const) {
    const similar = await call('GET', `/v1/complaints/${mine.id}/similar`, as)
    t.same([similar.statusCode, similar.json().code], [403, 'forbidden'], `${who} may not ask for similar complaints (agents and supervisors may)`)
  }
  t.equal((await call('GET', `/v1/complaints/${mine.id}/similar`, agent)).statusCode, 200)
  t.equal((await call('POST', '/v1/complaints', admin, aComplaint())).json().code, 'forbidden')

  for (const [who, as] of [['admin', admin], ['integration', integration]] as const) {
    const response = await call('POST', `/v1/complaints/${mine.id}/notes`, as, { text: 'hello' })
    t.same([response.statusCode, response.json().code], [403, 'forbidden'], `${who} may not act (every action: the test above)`)
  }
  const created = await call('POST', '/v1/complaints', integration, aComplaint())
  t.equal(created.statusCode, 403, 'integrations post through the signed webhook only')
  t.equal(created.json().code, 'forbidden')
  t.equal((await call('GET', `/v1/complaints/${mine.id}`, agent)).json().version, mine.version, 'nothing changed')

  const listed = (await call('GET', '/v1/complaints', integration)).json()
  t.same(listed.items.map((c: { id: string }) => c.id), [mine.id], 'an integration lists its own')
  t.same((await call('GET', '/v1/complaints?q=call', integration)).json().items, [], 'filters never widen it')
  t.equal((await call('GET', `/v1/complaints/${mine.id}`, integration)).statusCode, 200)
  t.equal((await call('GET', `/v1/complaints/${mine.id}/events`, integration)).statusCode, 200)
  for (const url of [`/v1/complaints/${theirs.id}`, `/v1/complaints/${theirs.id}/events`]) {
    const response = await call('GET', url, integration)
    t.equal(response.statusCode, 404, `${url} is not found for another's complaint`)
    t.equal(response.json().code, 'not_found')
  }
  t.same((await call('GET', '/v1/complaints', other)).json().items, [], 'another integration sees nothing')
  t.equal((await call('GET', `/v1/complaints/${mine.id}`, other)).statusCode, 404)
})

t.test('agents may not acknowledge or assign; supervisors only at their level', async (t) => {
  const { call, user } = await setupApp(t)
  const agent = await user('agent', { compensationLimit: 100 })
  const lead = await user('supervisor', { level: 1, compensationLimit: 1000 })
  const manager = await user('supervisor', { level: 2, compensationLimit: 1000 })
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()

  const assign = await call('POST', `/v1/complaints/${id}/assign`, agent, { assigneeId: agent.id })
  t.equal(assign.statusCode, 403)
  t.equal(assign.json().code, 'forbidden')
  await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'angry' })
  const ack = await call('POST', `/v1/complaints/${id}/acknowledge`, agent)
  t.equal(ack.statusCode, 403)
  t.equal(ack.json().code, 'forbidden')

  const second = await call('POST', `/v1/complaints/${id}/escalate`, lead, { reason: 'needs a manager' })
  t.equal(second.json().escalation.level, 2)
  const version = second.json().version
  t.notOk((await call('GET', `/v1/complaints/${id}`, lead)).json().actions.includes('acknowledge'), 'not offered to level 1')
  for (const [action, body] of [['acknowledge', undefined], ['resolve', { summary: 'refund' }]] as const) {
    const response = await call('POST', `/v1/complaints/${id}/${action}`, lead, body)
    t.equal(response.statusCode, 403, `level 1 may not ${action} at level 2`)
    t.equal(response.json().code, 'forbidden')
  }
  t.equal((await call('GET', `/v1/complaints/${id}`, agent)).json().version, version, 'refusals change nothing')
  const acknowledged = await call('POST', `/v1/complaints/${id}/acknowledge`, manager)
  t.equal(acknowledged.statusCode, 200, acknowledged.body)
  const resolved = await call('POST', `/v1/complaints/${id}/resolve`, manager, { summary: 'refund', compensation: { kind: 'refund', amount: 300 } })
  t.equal(resolved.statusCode, 200, resolved.body)
  t.equal(resolved.json().resolution.mode, 'after_escalation')
  t.equal((await call('POST', `/v1/complaints/${id}/assign`, lead, { assigneeId: agent.id })).statusCode, 200, 'supervisors reassign')
})

t.test('a deactivated user is unauthorized', async (t) => {
  const { call, user, admin } = await setupApp(t)
  const agent = await user('agent')
  t.equal((await call('GET', '/v1/complaints', agent)).statusCode, 200)
  t.equal((await call('PATCH', `/v1/users/${agent.id}`, admin, { active: false })).statusCode, 200)
  const response = await call('GET', '/v1/complaints', agent)
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'unauthorized')
  t.equal((await call('POST', '/v1/complaints', agent, aComplaint())).statusCode, 401)
  t.equal((await call('GET', '/v1/complaints', null)).statusCode, 401, 'no token')
  t.equal((await call('GET', '/v1/complaints', { ...agent, token: 'forged' })).statusCode, 401, 'unknown token')
})

t.test('If-Match and ETag', async (t) => {
  const { call, user, db } = await setupApp(t)
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const got = await call('GET', `/v1/complaints/${id}`, agent)
  t.equal(got.headers.etag, `"${got.json().version}"`, 'ETag is "<version>"')
  const events = async () => (await db.selectFrom('complaintEvents').select('seq').where('complaintId', '=', id).execute()).length

  const before = await events()
  const stale = await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'stale' }, { 'if-match': '"1"' })
  t.equal(stale.statusCode, 412)
  t.equal(stale.json().code, 'version_conflict')
  const unchanged = await call('GET', `/v1/complaints/${id}`, agent)
  t.equal(unchanged.json().version, 2, 'the version did not move')
  t.equal(unchanged.headers.etag, '"2"')
  t.equal(await events(), before, 'no event was appended')
  const garbage = await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'x' }, { 'if-match': 'banana' })
  t.equal(garbage.statusCode, 412, 'an unreadable If-Match matches nothing')

  const star = await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'any version' }, { 'if-match': '*' })
  t.equal(star.statusCode, 200)
  t.equal(star.headers.etag, '"3"')
  const weak = await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'weak' }, { 'if-match': 'W/"3"' })
  t.equal(weak.statusCode, 200, weak.body)
  t.equal(weak.json().version, 4)
  const list = await call('POST', `/v1/complaints/${id}/notes`, agent, { text: 'one of' }, { 'if-match': '"1", "4"' })
  t.equal(list.statusCode, 200, 'a list matches when one entry does')
  const escalated = await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'late' }, { 'if-match': '"5"' })
  t.equal(escalated.statusCode, 200)
  t.equal(escalated.headers.etag, '"6"')
  t.equal((await call('GET', `/v1/complaints/${id}`, agent)).headers.etag, '"6"')
})

t.test('incidents: supervisors open and resolve them, staff link and unlink, admins read, integrations see none', async (t) => {
  const { call, user, admin } = await setupApp(t)
  const agent = await user('agent')
  const lead = await user('supervisor', { level: 3, compensationLimit: 1_000 })
  const integration = await user('integration')
  const complaint = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  const incident = (await call('POST', '/v1/incidents', lead, { title: 'outage' })).json()
  const base = `/v1/incidents/${incident.id}`
  // Each route with the roles that may call it; the others get 403 forbidden before anything is read or changed.
  const routes: [method: string, url: string, body: unknown, allowed: string[]][] = [
    ['POST', '/v1/incidents', { title: 'another' }, ['supervisor']],
    ['GET', '/v1/incidents', undefined, ['agent', 'supervisor', 'admin']],
    ['GET', base, undefined, ['agent', 'supervisor', 'admin']],
    ['POST', `${base}/complaints`, { complaintIds: [complaint.id] }, ['agent', 'supervisor']],
    ['DELETE', `${base}/complaints/${complaint.id}`, undefined, ['agent', 'supervisor']],
    ['POST', `${base}/resolve`, { summary: 'fixed' }, ['supervisor']],
  ]
  const callers = { agent, supervisor: lead, admin, integration }
  for (const [method, url, body, allowed] of routes) {
    for (const [role, as] of Object.entries(callers)) {
      if (allowed.includes(role)) continue
      const refused = await call(method, url, as, body)
      t.same([refused.statusCode, refused.json().code], [403, 'forbidden'], `${role} may not ${method} ${url}`)
    }
    const as = callers[allowed.at(-1) as keyof typeof callers]
    const answered = await call(method, url, as, body)
    t.ok(answered.statusCode < 300, `${allowed.at(-1)} may ${method} ${url} (${answered.statusCode})`)
  }
})

import { sql } from 'kysely'
import t from 'tap'
import { up as repairPolicies } from '../../migrations/2026-11-27T0007_repair_policies.js'
import { jsonb } from '../../src/db/jsonb.js'
import { aComplaint, setupApp, type TestApp } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

/** What `PUT` saved before bodies were validated strictly: `"maxLevel": "1e999"` became Infinity, stored as null. */
async function storeBrokenPolicy({ db, admin }: TestApp, overrides: Record<string, unknown>) {
  await db.insertInto('slaPolicies').values({ policy: jsonb({ ...fastPolicy(), ...overrides }), createdBy: admin.id }).execute()
}

/** Writes what complaints escalated under such a policy hold: machine maxLevel null, escalation level 0. */
async function breakComplaint({ db }: TestApp, id: string, level: number, maxLevel: number | null) {
  await sql`update complaints set
      machine_snapshot = jsonb_set(jsonb_set(machine_snapshot, '{context,maxLevel}', ${JSON.stringify(maxLevel)}::jsonb),
        '{context,level}', ${JSON.stringify(level)}::jsonb),
      escalation = jsonb_set(escalation, '{level}', ${JSON.stringify(level)}::jsonb)
    where id = ${id}`.execute(db)
}

t.test('a stored policy that no longer validates is read as the defaults for its broken fields', async (t) => {
  const app = await setupApp(t)
  const { call, user } = app
  await storeBrokenPolicy(app, { maxLevel: null, followUpAttempts: null, triage: 'PT0S' })
  const agent = await user('agent')
  const created = await call('POST', '/v1/complaints', agent, aComplaint())
  t.equal(created.statusCode, 201, created.body)
  const escalated = await call('POST', `/v1/complaints/${created.json().id}/escalate`, agent, { reason: 'angry' })
  t.equal(escalated.statusCode, 200, escalated.body)
  t.equal(escalated.json().escalation.level, 1, 'escalated to level 1, not 0')
  const snapshot = await app.db.selectFrom('complaints').select('machineSnapshot').where('id', '=', created.json().id).executeTakeFirstOrThrow()
  t.match(snapshot.machineSnapshot, { context: { maxLevel: 3, followUpMaxAttempts: 3, level: 1 } }, 'the defaults were used')
})

t.test('complaints escalated under a broken policy read, list and act without a 500; the migration repairs them', async (t) => {
  const app = await setupApp(t)
  const { call, user, db } = app
  const agent = await user('agent')
  const supervisor = await user('supervisor', { level: 3 })
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const { id } = (await call('POST', '/v1/complaints', agent, aComplaint({ category: `c${i}` }))).json()
    t.equal((await call('POST', `/v1/complaints/${id}/escalate`, agent, { reason: 'angry' })).statusCode, 200)
    ids.push(id)
  }
  const [zero, high, odd] = ids as [string, string, string]
  await breakComplaint(app, zero, 0, null)
  await breakComplaint(app, high, 5, 3)
  await breakComplaint(app, odd, 0, null)
  await storeBrokenPolicy(app, { maxLevel: null, followUpAttempts: null })

  const read = await call('GET', `/v1/complaints/${zero}`, agent)
  t.equal(read.statusCode, 200, read.body)
  t.equal(read.json().escalation.level, 1, 'a level-0 escalation reads as level 1')
  const list = await call('GET', '/v1/complaints?state=escalated', agent)
  t.equal(list.statusCode, 200, list.body)
  t.equal(list.json().items.length, 3)
  const inbox = await call('GET', '/v1/escalations?status=all', supervisor)
  t.equal(inbox.statusCode, 200, inbox.body)
  t.equal(inbox.json().items.length, 3)

  // Escalating again committed and then answered 500: a client's retry escalated twice.
  const again = await call('POST', `/v1/complaints/${odd}/escalate`, agent, { reason: 'still angry' }, { 'idempotency-key': 'x' })
  t.equal(again.statusCode, 200, again.body)
  t.equal(again.json().escalation.level, 1, 'a snapshot with maxLevel null escalates to 1')
  t.equal(again.json().version, 4, 'one escalation, one version')

  await repairPolicies(db)
  const policy = await db.selectFrom('slaPolicies').select('policy').orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.match(policy.policy, { maxLevel: 3, followUpAttempts: 3, triage: 'PT1S', response: fastPolicy().response },
    'broken fields take the defaults, the rest is kept')
  const rows = await db.selectFrom('complaints').select(['id', 'escalation', 'machineSnapshot']).where('id', 'in', ids).execute()
  const byId = new Map(rows.map((r) => [r.id, r]))
  t.match(byId.get(zero), { escalation: { level: 1 }, machineSnapshot: { context: { level: 1, maxLevel: 3 } } })
  t.match(byId.get(high), { escalation: { level: 3 }, machineSnapshot: { context: { level: 3, maxLevel: 3 } } }, 'above the max: the max')
  t.match(byId.get(odd), { escalation: { level: 1 }, machineSnapshot: { context: { level: 1, maxLevel: 3 } } })

  const before = await db.selectFrom('complaints').selectAll().orderBy('id').execute()
  await repairPolicies(db)
  t.same(await db.selectFrom('complaints').selectAll().orderBy('id').execute(), before, 'a second run changes nothing')

  const climbs = await call('POST', `/v1/complaints/${zero}/escalate`, agent, { reason: 'no answer' })
  t.equal(climbs.json().escalation.level, 2, 'a repaired complaint climbs from 1 to 2')
})

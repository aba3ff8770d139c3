import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { aComplaint } from '../helpers/app.js'
import { waitFor } from '../helpers/worker.js'
import { EVENT_TYPES } from '../../src/webhooks/events.js'
import { anIntegration, setupWebhookApp, signed, startDeliveries, startReceiver, startTimers } from '../webhooks/fixtures/webhooks.js'
import { bodyValidator, type Document } from './fixtures/document.js'

t.test("every body a real receiver is sent is valid against its type's schema in the document's webhooks", async (t) => {
  const testApp = await setupWebhookApp(t)
  const { app, call, admin, user, db } = testApp
  const document = app.swagger() as unknown as Document
  const validate = bodyValidator(document)
  const schemaOf = (type: string) => document.webhooks?.[type]?.post.requestBody?.content['application/json']?.schema

  const agent = await user('agent')
  const colleague = await user('agent')
  const billing = await user('agent', { teams: ['billing'] })
  const supervisor = await user('supervisor', { level: 1 })
  const shop = await anIntegration(testApp)
  const receiver = await startReceiver(t)
  const endpoint = (await call('POST', '/v1/webhook-endpoints', admin, { url: receiver.url, events: EVENT_TYPES })).json()
  receiver.setSecret(endpoint.secret)
  const { queue } = startDeliveries(t, testApp)
  startTimers(t, testApp, queue)

  const done = (label: string) => (response: LightMyRequestResponse) => {
    t.ok(response.statusCode >= 200 && response.statusCode < 300, label, { status: response.statusCode, body: response.body })
    return response.json()
  }
  const expected = new Set<string>()
  const expect = (...types: string[]) => types.forEach((type) => expected.add(type))

  // A call: logged at once, resolved, found unsatisfied (escalated, routed, taken), resolved again, closed, reopened.
  const first = done('intake')(await call('POST', '/v1/complaints', agent, aComplaint()))
  expect('complaint.received', 'complaint.logged')
  done('resolve')(await call('POST', `/v1/complaints/${first.id}/resolve`, agent, { summary: 'Replacement lid sent' }))
  done('unsatisfied')(await call('POST', `/v1/complaints/${first.id}/follow-up`, colleague, { outcome: 'unsatisfied', satisfaction: 2 }))
  expect('complaint.resolved', 'follow_up.recorded', 'complaint.escalated', 'escalation.assigned')
  done('acknowledge')(await call('POST', `/v1/complaints/${first.id}/acknowledge`, supervisor, {}))
  done('resolve after escalation')(await call('POST', `/v1/complaints/${first.id}/resolve`, supervisor, { summary: '全额退款' }))
  done('satisfied')(await call('POST', `/v1/complaints/${first.id}/follow-up`, colleague, { outcome: 'satisfied', satisfaction: 5 }))
  done('reopen')(await call('POST', `/v1/complaints/${first.id}/reopen`, agent, { reason: '客户反映补发的杯子也是坏的' }))
  expect('escalation.acknowledged', 'complaint.closed')

  // A web shop's complaint: received through the signed intake, logged, and worked on until the customer withdraws it.
  const body = JSON.stringify({ ...aComplaint({ customer: { externalId: 'cust-9', email: 'li@example.com' } }), externalRef: 'order-77' })
  const fromShop = done('signed intake')(await app.inject({ method: 'POST', url: `/v1/webhooks/${shop.id}/complaints`, headers: signed(shop.secret, body), payload: body }))
  const logged = done('log')(await call('POST', `/v1/complaints/${fromShop.id}/log`, agent, {}))
  done('assign')(await call('POST', `/v1/complaints/${fromShop.id}/assign`, supervisor, { assigneeId: colleague.id }))
  done('await customer')(await call('POST', `/v1/complaints/${fromShop.id}/await-customer`, colleague, { note: 'asked for a photo' }))
  done('resume')(await call('POST', `/v1/complaints/${fromShop.id}/resume`, colleague, {}))
  const until = new Date(Date.parse(logged.promisedBy) + 3_600_000).toISOString()
  done('request extension')(await call('POST', `/v1/complaints/${fromShop.id}/request-extension`, colleague, { until, reason: 'waiting for the supplier' }))
  done('decide extension')(await call('POST', `/v1/complaints/${fromShop.id}/decide-extension`, supervisor, { approve: true }))
  done('transfer')(await call('POST', `/v1/complaints/${fromShop.id}/transfer`, colleague, { team: 'billing', reason: 'charged twice' }))
  done('send back')(await call('POST', `/v1/complaints/${fromShop.id}/send-back`, billing, { reason: 'the charge was right' }))
  done('withdraw')(await call('POST', `/v1/complaints/${fromShop.id}/withdraw`, colleague, { reason: 'the parcel turned up' }))
  expect('complaint.assigned', 'complaint.awaiting_customer', 'complaint.resumed', 'promise.extension_requested', 'promise.extended',
    'complaint.transferred', 'complaint.sent_back')

  // One customer calls twice: the first complaint is merged into the second, which joins an incident and leaves it.
  const caller = { customer: { name: '王芳', phone: '+86 139 1234 5678' } }
  const twice = done('first call')(await call('POST', '/v1/complaints', agent, aComplaint(caller)))
  const again = done('second call')(await call('POST', '/v1/complaints', agent, aComplaint({ ...caller, summary: '快递员态度差' })))
  done('merge')(await call('POST', `/v1/complaints/${twice.id}/merge`, agent, { into: again.id }))
  const incident = done('incident')(await call('POST', '/v1/incidents', supervisor, { title: '华东仓发货延迟', category: 'delivery' }))
  done('link')(await call('POST', `/v1/incidents/${incident.id}/complaints`, agent, { complaintIds: [again.id] }))
  done('unlink')(await call('DELETE', `/v1/incidents/${incident.id}/complaints/${again.id}`, agent))
  expect('complaint.duplicate_absorbed', 'complaint.linked_to_incident', 'complaint.unlinked_from_incident')

  done('ping')(await call('POST', `/v1/webhook-endpoints/${endpoint.id}/ping`, admin, {}))
  expect('ping')

  await waitFor(async () => {
    const arrived = new Set(receiver.accepted().map((r) => r.body.type))
    return [...expected].every((type) => arrived.has(type))
  }, 60_000, 'every expected event type')
  await waitFor(async () => (await db.selectFrom('webhookDeliveries').select('id').where('status', '<>', 'delivered').execute()).length === 0,
    20_000, 'every delivery to be settled')

  const bodies = receiver.accepted().map((r) => r.body as unknown as { type: string })
  t.ok(bodies.length >= expected.size, `${bodies.length} bodies received, of ${new Set(bodies.map((b) => b.type)).size} types`)
  for (const received of bodies) {
    const schema = schemaOf(received.type)
    t.ok(schema, `${received.type} has a webhook in the document`)
    const { valid, errors } = validate(schema, received)
    t.ok(valid, `a ${received.type} body is valid against its schema`, { errors, body: received })
  }
  // The schemas tell the types apart: a body is not valid as another type's.
  const aLogged = bodies.find((b) => b.type === 'complaint.logged')!
  t.notOk(validate(schemaOf('complaint.closed'), aLogged).valid, "a complaint.logged body is not a complaint.closed one")
})

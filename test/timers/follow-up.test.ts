import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy, startTestWorker, waitFor } from '../helpers/worker.js'

t.test('a resolved complaint becomes a due follow-up call for someone other than the resolver', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  // The follow-up falls due in an hour, and the test moves the clock: a one-second window raced a busy machine.
  const hour = 'PT1H'
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ response: { urgent: hour, high: hour, normal: hour, low: hour }, followUpAfter: hour }))
  const resolver = await user('agent', { teams: ['east'] })
  const colleague = await user('agent', { teams: ['east'] })
  await user('agent', { teams: ['west'] })
  const { dueNow } = startTestWorker(t, testApp)
  const { id } = (await call('POST', '/v1/complaints', resolver, aComplaint({ team: 'east' }))).json()
  const resolved = (await call('POST', `/v1/complaints/${id}/resolve`, resolver, { summary: 'sent a new one' })).json()
  t.same(resolved.deadlines.map((d: { kind: string }) => d.kind), ['follow_up'])
  t.same((await call('GET', '/v1/follow-ups?status=upcoming', resolver)).json().items.map((c: { id: string }) => c.id), [id])
  t.same((await call('GET', '/v1/follow-ups?status=due', resolver)).json().items, [], 'not due yet')
  await dueNow(id, 'follow_up')

  const due = await waitFor(async () => {
    const items = (await call('GET', '/v1/follow-ups?status=due&assigneeId=me', colleague)).json().items
    return items.length > 0 && items
  }, 10_000, 'the follow-up to fall due')
  t.equal(due[0].id, id)
  t.equal(due[0].assigneeId, colleague.id, 'the call goes to a colleague of the same team, not the resolver')
  const events = (await call('GET', `/v1/complaints/${id}/events`, resolver)).json().items
  t.equal(events.filter((e: { type: string }) => e.type === 'follow_up.due').length, 1)
  t.same(due[0].deadlines, [])
})

t.test('unreachable retries after followUpRetry, then closes after the last attempt', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, admin } = testApp
  await call('PUT', '/v1/sla-policies', admin, fastPolicy({ followUpAttempts: 2, followUpAfter: 'PT1H' }))
  const agent = await user('agent')
  // The calls are a colleague's: the resolver may not record them (policy followUpBy: not_resolver).
  const resolver = await user('agent')
  startTestWorker(t, testApp)
  const { id } = (await call('POST', '/v1/complaints', resolver, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/resolve`, resolver, { summary: 'fixed' })
  t.same((await call('GET', '/v1/follow-ups?status=due', agent)).json().items, [], 'due in an hour')
  const retry = (await call('POST', `/v1/complaints/${id}/follow-up`, agent, { outcome: 'unreachable' })).json()
  t.equal(retry.followUp.attempts, 1)
  t.same(retry.deadlines.map((d: { kind: string }) => d.kind), ['follow_up_retry'])
  await waitFor(async () => (await call('GET', '/v1/follow-ups?status=due', agent)).json().items.length === 1, 10_000, 'the retry')
  const closed = (await call('POST', `/v1/complaints/${id}/follow-up`, agent, { outcome: 'unreachable' })).json()
  t.equal(closed.state, 'closed')
  t.equal(closed.closeReason, 'unreachable')
})

import t from 'tap'
import { aComplaint, setupApp } from '../helpers/app.js'
import { fastPolicy } from '../helpers/worker.js'

// Asia/Shanghai is UTC+8 all year: 09:00 local is 01:00Z.
const SHANGHAI = {
  timezone: 'Asia/Shanghai',
  week: (() => {
    const day: [string, string][] = [['09:00', '12:00'], ['13:00', '18:30']]
    return { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] }
  })(),
  holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
  extraWorkdays: ['2026-09-20', '2026-10-10'],
}
const businessPolicy = (overrides: Record<string, unknown> = {}) => fastPolicy({
  calendar: SHANGHAI,
  response: { urgent: 'PT2H', high: 'PT8H', normal: 'P3D', low: 'P5D' },
  businessHours: { urgent: false, high: true, normal: true, low: true },
  warnAt: 0.5,
  ...overrides,
})

function clockAt(iso: string) {
  let now = new Date(iso)
  return { now: () => now, set: (next: string) => (now = new Date(next)) }
}

t.test('logged on a Friday evening with PT8H of business time: due the next working day, and the API shows it', async (t) => {
  const clock = clockAt('2026-11-20T11:00:00Z') // Friday 19:00 in Shanghai, after closing
  const { call, admin, user } = await setupApp(t, { clock: clock.now })
  await call('PUT', '/v1/sla-policies', admin, businessPolicy())
  const agent = await user('agent')
  const complaint = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'high' }))).json()
  // Monday 09:00-12:00 and 13:00-18:00 are the eight hours.
  t.equal(complaint.promisedBy, '2026-11-23T10:00:00.000Z', 'Monday 18:00 in Shanghai')
  const warning = complaint.deadlines.find((d: { kind: string }) => d.kind === 'response_warning')
  t.equal(warning.dueAt, '2026-11-23T06:00:00.000Z', 'the warning at half the business window: Monday 14:00, after lunch')

  const urgent = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'urgent' }))).json()
  t.equal(urgent.promisedBy, '2026-11-20T13:00:00.000Z', 'urgent counts around the clock: two hours later')

  const normal = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'normal' }))).json()
  t.equal(normal.promisedBy, '2026-11-25T10:30:00.000Z', 'P3D is three working days: the end of Wednesday')
})

t.test('the National Day holiday and its make-up working days count as the calendar says', async (t) => {
  const clock = clockAt('2026-09-30T10:00:00Z') // Wednesday 18:00 in Shanghai, half an hour before closing
  const { call, admin, user } = await setupApp(t, { clock: clock.now })
  await call('PUT', '/v1/sla-policies', admin, businessPolicy())
  const agent = await user('agent')
  const complaint = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'high' }))).json()
  // 30 minutes on 30 September; 1-2 October holidays; 3-4 a weekend; 5-7 holidays; 8 and 9 working days.
  // 7.5 hours on Thursday 8 October: 09:00-12:00 and 13:00-17:30.
  t.equal(complaint.promisedBy, '2026-10-08T09:30:00.000Z', 'Thursday 8 October 17:30 in Shanghai')
})

t.test('waiting for the customer stops the clock; the deadline moves by the business time spent waiting', async (t) => {
  const clock = clockAt('2026-11-23T02:00:00Z') // Monday 10:00 in Shanghai
  const { call, admin, user } = await setupApp(t, { clock: clock.now })
  await call('PUT', '/v1/sla-policies', admin, businessPolicy())
  const agent = await user('agent')
  const { id, promisedBy } = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'high' }))).json()
  t.equal(promisedBy, '2026-11-24T01:30:00.000Z', 'Tuesday 09:30: 7.5 hours on Monday, half an hour on Tuesday')

  clock.set('2026-11-23T03:00:00Z') // Monday 11:00
  const paused = (await call('POST', `/v1/complaints/${id}/await-customer`, agent, { note: 'asked for the receipt' })).json()
  t.equal(paused.clockPausedAt, '2026-11-23T03:00:00.000Z', 'the complaint shows the clock is paused')
  // Only the customer's silence is timed, in business days: reminded Wednesday 11:00, closed a week of workdays on.
  t.same(paused.deadlines, [{ kind: 'awaiting_reminder', dueAt: '2026-11-25T03:00:00.000Z' },
    { kind: 'awaiting_close', dueAt: '2026-12-02T03:00:00.000Z' }], 'no response deadline runs while waiting')
  t.same(paused.actions.filter((a: string) => a === 'resume' || a === 'await-customer'), ['resume'])

  clock.set('2026-11-24T02:00:00Z') // Tuesday 10:00: 7.5 business hours later
  const resumed = (await call('POST', `/v1/complaints/${id}/resume`, agent)).json()
  t.equal(resumed.clockPausedAt, null)
  t.equal(resumed.promisedBy, '2026-11-24T10:00:00.000Z', 'Tuesday 18:00: moved by the 7.5 business hours of waiting')
  t.same(resumed.deadlines.map((d: { kind: string }) => d.kind).sort(), ['response', 'response_warning'])
  const types = (await call('GET', `/v1/complaints/${id}/events`, agent)).json().items.map((e: { type: string }) => e.type)
  t.same(types.slice(-2), ['complaint.awaiting_customer', 'complaint.resumed'])
})

t.test('resolving while waiting ends the wait', async (t) => {
  const { call, admin, user } = await setupApp(t)
  await call('PUT', '/v1/sla-policies', admin, businessPolicy())
  const agent = await user('agent')
  const { id } = (await call('POST', '/v1/complaints', agent, aComplaint())).json()
  await call('POST', `/v1/complaints/${id}/await-customer`, agent)
  const resolved = (await call('POST', `/v1/complaints/${id}/resolve`, agent, { summary: 'receipt found' })).json()
  t.equal(resolved.state, 'follow_up')
  t.equal(resolved.clockPausedAt, null)
  t.equal((await call('POST', `/v1/complaints/${id}/resume`, agent)).json().code, 'invalid_transition')
})

t.test('a customer tier and a team calendar override the defaults', async (t) => {
  const clock = clockAt('2026-11-20T11:00:00Z') // Friday 19:00 in Shanghai, 12:00 in Berlin
  const { call, admin, user } = await setupApp(t, { clock: clock.now })
  const day: [string, string][] = [['08:00', '16:00']]
  await call('PUT', '/v1/sla-policies', admin, businessPolicy({
    tiers: { gold: { response: { high: 'PT1H' }, businessHours: { high: false } } },
    teamCalendars: { berlin: { timezone: 'Europe/Berlin', week: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] }, holidays: [] } },
  }))
  const agent = await user('agent')
  // An agent's intake cannot set a tier (docs/customers.md): the customer is made gold by an admin's PATCH.
  const first = (await call('POST', '/v1/complaints', agent, aComplaint({ customer: { phone: '+8613800000001' } }))).json()
  t.equal((await call('PATCH', `/v1/customers/${first.customer.id}`, admin, { tier: 'gold' })).statusCode, 200)
  const gold = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'high', customer: { phone: '+8613800000001' } }))).json()
  t.equal(gold.promisedBy, '2026-11-20T12:00:00.000Z', 'gold customers: one hour, around the clock')
  const berlin = (await call('POST', '/v1/complaints', agent, aComplaint({ severity: 'high', team: 'berlin' }))).json()
  // Berlin is UTC+1 in November: 12:00-16:00 Friday is 4 hours, then Monday 08:00-12:00.
  t.equal(berlin.promisedBy, '2026-11-23T11:00:00.000Z', "the Berlin team's calendar: Monday 12:00 in Berlin")
})

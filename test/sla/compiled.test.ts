import t from 'tap'
import { addBusinessTime, businessTimeBetween, type BusinessCalendar } from '../../src/sla/calendar.js'
import { businessMs, clockFor, type ClockSubject } from '../../src/sla/deadline-clock.js'
import { DEFAULT_POLICY, type SlaPolicy } from '../../src/sla/policy.js'

const policy: SlaPolicy = {
  ...DEFAULT_POLICY,
  calendar: { ...DEFAULT_POLICY.calendar, timezone: 'Europe/Berlin', holidays: ['2026-12-25'] },
  teamCalendars: { night: { timezone: 'Asia/Shanghai', week: { ...DEFAULT_POLICY.calendar.week, sat: [['20:00', '24:00']] }, holidays: [] } },
}

t.test('a policy object compiles its clocks once; what they answer is what a fresh copy answers', async (t) => {
  const subject: ClockSubject = { severity: 'normal', customerTier: null, team: null }
  const clock = clockFor(policy, subject)
  t.equal(clockFor(policy, { ...subject }), clock, 'the same clock for the same subject')
  t.not(clockFor(policy, { ...subject, team: 'night' }), clock, "a team's own calendar is another clock")
  t.equal(clockFor(policy, { ...subject, severity: 'urgent' }).business, false, 'around the clock for urgent')

  const copy = structuredClone(policy)
  for (const team of [null, 'night']) {
    const s = { ...subject, team }
    for (let hour = 0; hour < 24 * 14; hour += 7) {
      const from = new Date(Date.UTC(2026, 11, 20, hour))
      const memo = clockFor(policy, s)
      const fresh = clockFor(copy, s)
      t.equal(memo.add(from, 'P3D').getTime(), fresh.add(from, 'P3D').getTime())
      t.equal(memo.elapsed(from, new Date(from.getTime() + 5 * 86_400_000)), fresh.elapsed(from, new Date(from.getTime() + 5 * 86_400_000)))
    }
  }
})

t.test('business durations and calendars are computed once per object, with the same results', async (t) => {
  const calendar = policy.calendar
  t.equal(businessMs(calendar, 'P3D'), businessMs(structuredClone(calendar), 'P3D'))
  t.equal(businessMs(calendar, 'P3D'), 3 * 9.5 * 3_600_000)
  t.equal(businessMs(calendar, 'PT2H'), 2 * 3_600_000)
  const from = new Date('2026-12-24T16:00:00Z')
  t.equal(addBusinessTime(calendar, from, 3_600_000).toISOString(), addBusinessTime(structuredClone(calendar), from, 3_600_000).toISOString())
  t.equal(businessTimeBetween(calendar, from, new Date('2026-12-29T00:00:00Z')), businessTimeBetween(structuredClone(calendar), from, new Date('2026-12-29T00:00:00Z')))
})

t.test('an invalid calendar is refused every time, never remembered', async (t) => {
  const broken = { timezone: 'Mars/Olympus', week: DEFAULT_POLICY.calendar.week, holidays: [] } as BusinessCalendar
  t.throws(() => addBusinessTime(broken, new Date(), 1), /invalid business calendar/)
  t.throws(() => addBusinessTime(broken, new Date(), 1), /invalid business calendar/)
})

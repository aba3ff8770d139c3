import t from 'tap'
import {
  type BusinessCalendar,
  MAX_CLOSED_DAYS,
  addBusinessTime,
  businessTimeBetween,
  calendarProblems,
  isOpen,
  openIntervals,
} from '../../src/sla/calendar.js'
import { firstInstantAtOrAfter, zoneFor } from '../../src/sla/calendar-zone.js'

type Hours = [string, string][]
const H = 3_600_000
const M = 60_000
const at = (iso: string) => new Date(iso)
const iso = (date: Date) => date.toISOString()
const none: Hours = []

function weekdays(hours: Hours, rest: Partial<BusinessCalendar['week']> = {}): BusinessCalendar['week'] {
  return { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: none, sun: none, ...rest }
}
function everyDay(hours: Hours): BusinessCalendar['week'] {
  return weekdays(hours, { sat: hours, sun: hours })
}

// Official 2026 arrangement (State Council General Office notice of 4 November 2025): National Day
// 1-7 October off, Sunday 20 September and Saturday 10 October worked; Mid-Autumn Festival 25-27 September
// off (Friday 25 is the weekday lost).
const LUNCH_BREAK: Hours = [['09:00', '12:00'], ['13:00', '18:30']]
const shanghai: BusinessCalendar = {
  timezone: 'Asia/Shanghai',
  week: weekdays(LUNCH_BREAK),
  holidays: ['2026-09-25', '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
  extraWorkdays: ['2026-09-20', '2026-10-10'],
}

t.test('Asia/Shanghai, 2026 National Day with its make-up working days and a lunch break', async (t) => {
  t.test('a complaint logged on a Friday evening with PT8H is due the next working day at 18:00', async (t) => {
    t.equal(iso(addBusinessTime(shanghai, at('2026-11-06T19:30:00+08:00'), 8 * H)), '2026-11-09T10:00:00.000Z', 'Monday 18:00 +08')
    t.equal(iso(addBusinessTime(shanghai, at('2026-09-18T19:00:00+08:00'), 8 * H)), '2026-09-20T10:00:00.000Z',
      'before National Day the next working day is Sunday 20 September, a make-up day')
    t.equal(iso(addBusinessTime(shanghai, at('2026-10-09T19:00:00+08:00'), 8 * H)), '2026-10-10T10:00:00.000Z',
      'after it, Saturday 10 October')
  })

  t.test('the holiday week does not count', async (t) => {
    // 17:00-18:30 on the 30th (1.5 h), then Thursday 8 October 09:00-12:00 and 13:00-16:30.
    t.equal(iso(addBusinessTime(shanghai, at('2026-09-30T17:00:00+08:00'), 8 * H)), '2026-10-08T08:30:00.000Z')
    // Thursday evening before Mid-Autumn: Friday is a holiday, then the weekend.
    t.equal(iso(addBusinessTime(shanghai, at('2026-09-24T18:30:00+08:00'), 2 * H)), '2026-09-28T03:00:00.000Z')
    // 28, 29, 30 September, 8, 9 and 10 (Saturday) October: six days of 8.5 hours.
    t.equal(businessTimeBetween(shanghai, at('2026-09-28T00:00:00+08:00'), at('2026-10-12T00:00:00+08:00')), 51 * H)
    t.equal(businessTimeBetween(shanghai, at('2026-10-01T00:00:00+08:00'), at('2026-10-08T00:00:00+08:00')), 0)
  })

  t.test('120 hours of business time cross both holidays and both make-up days', async (t) => {
    // 14 working days of 8.5 h = 119 h (14-18 Sep, Sun 20, 21-24, 28-30 Sep, 8 Oct), then 1 h on Friday 9 October.
    t.equal(iso(addBusinessTime(shanghai, at('2026-09-14T09:00:00+08:00'), 120 * H)), '2026-10-09T02:00:00.000Z')
  })

  t.test('open and closed instants', async (t) => {
    t.ok(isOpen(shanghai, at('2026-10-10T10:00:00+08:00')), 'Saturday 10 October opens with Monday hours')
    t.ok(isOpen(shanghai, at('2026-09-20T18:29:59.999+08:00')), 'Sunday 20 September too')
    t.notOk(isOpen(shanghai, at('2026-09-20T18:30:00+08:00')), 'an interval end is closed')
    t.notOk(isOpen(shanghai, at('2026-10-05T10:00:00+08:00')), 'a Monday in the holiday')
    t.notOk(isOpen(shanghai, at('2026-10-11T10:00:00+08:00')), 'an ordinary Sunday')
    t.notOk(isOpen(shanghai, at('2026-10-12T12:30:00+08:00')), 'lunch')
    t.ok(isOpen(shanghai, at('2026-10-12T13:00:00+08:00')), 'back from lunch')
    t.same(openIntervals(shanghai, at('2026-10-12T08:00:00+08:00'), at('2026-10-12T09:00:00+08:00')), [], 'a span ending as the day opens')
    t.same(openIntervals(shanghai, at('2026-10-12T18:30:00+08:00'), at('2026-10-13T09:00:00+08:00')), [], 'a span from closing to opening')
    t.same(openIntervals(shanghai, at('2026-10-10T00:00:00+08:00'), at('2026-10-12T00:00:00+08:00')).map(({ start, end }) => [iso(start), iso(end)]), [
      ['2026-10-10T01:00:00.000Z', '2026-10-10T04:00:00.000Z'],
      ['2026-10-10T05:00:00.000Z', '2026-10-10T10:30:00.000Z'],
    ])
  })
})

t.test('a holiday next to an extra working day, and a date in both lists', async (t) => {
  const cal: BusinessCalendar = { ...shanghai, holidays: ['2026-10-09'], extraWorkdays: ['2026-10-10'] }
  t.equal(iso(addBusinessTime(cal, at('2026-10-08T18:30:00+08:00'), 0)), '2026-10-10T01:00:00.000Z', 'Friday off, Saturday on')
  t.equal(iso(addBusinessTime(cal, at('2026-10-08T18:00:00+08:00'), H)), '2026-10-10T01:30:00.000Z', 'half an hour Thursday, half Saturday')
  t.equal(businessTimeBetween(cal, at('2026-10-08T00:00:00+08:00'), at('2026-10-12T00:00:00+08:00')), 17 * H)

  const both: BusinessCalendar = { ...shanghai, holidays: ['2026-10-10'], extraWorkdays: ['2026-10-10'] }
  t.notOk(isOpen(both, at('2026-10-10T10:00:00+08:00')), 'the holiday wins')
  t.equal(iso(addBusinessTime(both, at('2026-10-09T18:30:00+08:00'), 0)), '2026-10-12T01:00:00.000Z', 'next opening is Monday')

  const saturdayHours: BusinessCalendar = { timezone: 'UTC', week: weekdays([['08:00', '16:00']], { sat: [['10:00', '12:00']] }),
    holidays: [], extraWorkdays: ['2026-10-10'] }
  t.same(openIntervals(saturdayHours, at('2026-10-10T00:00:00Z'), at('2026-10-11T00:00:00Z')).map(({ start, end }) => [iso(start), iso(end)]),
    [['2026-10-10T08:00:00.000Z', '2026-10-10T16:00:00.000Z']], 'an extra working day opens with Monday hours even when its weekday has some')
})

t.test('Europe/Berlin across both 2026 daylight-saving changes', async (t) => {
  const office: BusinessCalendar = { timezone: 'Europe/Berlin', week: weekdays([['09:00', '18:00']]), holidays: [] }
  t.test('office hours on each side of a change', async (t) => {
    // Friday 17:00 CET (+01), one hour left; Monday 10:00 CEST (+02).
    t.equal(iso(addBusinessTime(office, at('2026-03-27T16:00:00Z'), 2 * H)), '2026-03-30T08:00:00.000Z')
    t.equal(businessTimeBetween(office, at('2026-03-27T16:00:00Z'), at('2026-03-30T08:00:00Z')), 2 * H)
    // Friday 17:00 CEST, Monday 10:00 CET.
    t.equal(iso(addBusinessTime(office, at('2026-10-23T15:00:00Z'), 2 * H)), '2026-10-26T09:00:00.000Z')
    t.equal(businessTimeBetween(office, at('2026-10-23T15:00:00Z'), at('2026-10-26T09:00:00Z')), 2 * H)
    t.same(openIntervals(office, at('2026-03-27T00:00:00Z'), at('2026-03-31T00:00:00Z')).map(({ start, end }) => [iso(start), iso(end)]), [
      ['2026-03-27T08:00:00.000Z', '2026-03-27T17:00:00.000Z'],
      ['2026-03-30T07:00:00.000Z', '2026-03-30T16:00:00.000Z'],
    ])
  })

  t.test('a 09:00-18:00 day is 9 hours even on the days the clocks change', async (t) => {
    const sundays: BusinessCalendar = { timezone: 'Europe/Berlin', week: weekdays(none, { sun: [['09:00', '18:00']] }), holidays: [] }
    t.equal(businessTimeBetween(sundays, at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z')), 9 * H)
    t.equal(businessTimeBetween(sundays, at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z')), 9 * H)
    t.equal(iso(addBusinessTime(sundays, at('2026-03-28T12:00:00Z'), 0)), '2026-03-29T07:00:00.000Z', '09:00 CEST')
    t.equal(iso(addBusinessTime(sundays, at('2026-10-24T12:00:00Z'), 0)), '2026-10-25T08:00:00.000Z', '09:00 CET')
  })

  t.test('around the clock: the spring day has 23 hours, the autumn day 25', async (t) => {
    const always: BusinessCalendar = { timezone: 'Europe/Berlin', week: everyDay([['00:00', '24:00']]), holidays: [] }
    t.equal(businessTimeBetween(always, at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z')), 23 * H, 'local midnight to midnight')
    t.equal(businessTimeBetween(always, at('2026-10-24T22:00:00Z'), at('2026-10-25T23:00:00Z')), 25 * H)
    t.equal(iso(addBusinessTime(always, at('2026-03-29T00:30:00Z'), H)), '2026-03-29T01:30:00.000Z', '01:30 CET + 1 h = 03:30 CEST')
    t.equal(iso(addBusinessTime(always, at('2026-10-25T00:30:00Z'), H)), '2026-10-25T01:30:00.000Z', '02:30 CEST + 1 h = 02:30 CET')
    t.same(openIntervals(always, at('2026-03-20T00:00:00Z'), at('2026-11-01T00:00:00Z')).map(({ start, end }) => [iso(start), iso(end)]),
      [['2026-03-20T00:00:00.000Z', '2026-11-01T00:00:00.000Z']], 'touching days merge into one opening')
  })

  t.test('boundaries inside the gap and the overlap', async (t) => {
    const early = (hours: Hours): BusinessCalendar => ({ timezone: 'Europe/Berlin', week: weekdays(none, { sun: hours }), holidays: [] })
    const spans = (cal: BusinessCalendar, from: string, to: string) =>
      openIntervals(cal, at(from), at(to)).map(({ start, end }) => [iso(start), iso(end)])
    // 02:30 does not exist on 29 March: it maps to the jump, 03:00 CEST (01:00Z). 05:00 CEST is 03:00Z.
    t.same(spans(early([['02:30', '05:00']]), '2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z'), [['2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00.000Z']])
    // 02:30 exists twice on 25 October: its first occurrence, 02:30 CEST (00:30Z). 05:00 CET is 04:00Z.
    t.same(spans(early([['02:30', '05:00']]), '2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z'), [['2026-10-25T00:30:00.000Z', '2026-10-25T04:00:00.000Z']])
    // 01:00-02:30 then 02:30-04:00 on the overlap day: the real hours between 01:00 CEST and 04:00 CET, once.
    t.same(spans(early([['01:00', '02:30'], ['02:30', '04:00']]), '2026-10-24T00:00:00Z', '2026-10-26T00:00:00Z'),
      [['2026-10-24T23:00:00.000Z', '2026-10-25T03:00:00.000Z']])
    // An interval wholly inside the gap never opens that day; the next Sunday it does.
    const inGap = early([['02:00', '02:45']])
    t.equal(businessTimeBetween(inGap, at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z')), 0)
    t.equal(iso(addBusinessTime(inGap, at('2026-03-28T00:00:00Z'), 0)), '2026-04-05T00:00:00.000Z')
    t.equal(iso(addBusinessTime(inGap, at('2026-03-28T00:00:00Z'), 45 * M)), '2026-04-05T00:45:00.000Z')
  })

  t.test('the local-time rule itself', async (t) => {
    const berlin = zoneFor('Europe/Berlin')
    t.equal(firstInstantAtOrAfter(berlin, Date.UTC(2026, 2, 29, 2, 30)), Date.parse('2026-03-29T01:00:00Z'), 'gap: the jump')
    t.equal(firstInstantAtOrAfter(berlin, Date.UTC(2026, 2, 29, 3, 0)), Date.parse('2026-03-29T01:00:00Z'), 'gap end')
    t.equal(firstInstantAtOrAfter(berlin, Date.UTC(2026, 2, 29, 1, 59, 59, 999)), Date.parse('2026-03-29T00:59:59.999Z'))
    t.equal(firstInstantAtOrAfter(berlin, Date.UTC(2026, 9, 25, 2, 30)), Date.parse('2026-10-25T00:30:00Z'), 'overlap: first')
    t.equal(firstInstantAtOrAfter(berlin, Date.UTC(2026, 9, 25, 3, 0)), Date.parse('2026-10-25T02:00:00Z'))
    t.throws(() => zoneFor('Mars/Olympus'), { message: /"Mars\/Olympus" is not an IANA time zone/ })
  })
})

t.test('Australia/Lord_Howe shifts by half an hour', async (t) => {
  const always: BusinessCalendar = { timezone: 'Australia/Lord_Howe', week: everyDay([['00:00', '24:00']]), holidays: [] }
  t.equal(businessTimeBetween(always, at('2026-04-04T13:00:00Z'), at('2026-04-05T13:30:00Z')), 24.5 * H, '5 April: 24.5 hours')
  t.equal(businessTimeBetween(always, at('2026-10-03T13:30:00Z'), at('2026-10-04T13:00:00Z')), 23.5 * H, '4 October: 23.5 hours')
  const night: BusinessCalendar = { timezone: 'Australia/Lord_Howe', week: weekdays(none, { sun: [['01:45', '02:15']] }), holidays: [] }
  // 4 October: 02:00 jumps to 02:30, so 01:45-02:15 is 01:45-02:00 (+10:30), 15 minutes.
  t.equal(businessTimeBetween(night, at('2026-10-03T00:00:00Z'), at('2026-10-05T00:00:00Z')), 15 * M)
  // 5 April: 02:00 (+11) falls back to 01:30 (+10:30); 01:45 first shows at 14:45Z, 02:15 at 15:45Z: one hour.
  t.equal(businessTimeBetween(night, at('2026-04-04T00:00:00Z'), at('2026-04-06T00:00:00Z')), H)
})

t.test('intervals ending at 24:00', async (t) => {
  const nights: BusinessCalendar = {
    timezone: 'America/New_York',
    week: weekdays([['09:00', '17:00']], { fri: [['09:00', '17:00'], ['18:00', '24:00']], sat: [['00:00', '06:00']] }),
    holidays: [],
  }
  // Friday 23:00 EST + 2 h: one hour to midnight, one after.
  t.equal(iso(addBusinessTime(nights, at('2026-11-07T04:00:00Z'), 2 * H)), '2026-11-07T06:00:00.000Z')
  t.ok(isOpen(nights, at('2026-11-07T05:00:00Z')), 'midnight itself is open: Saturday starts at 00:00')
  t.same(openIntervals(nights, at('2026-11-06T17:00:00Z'), at('2026-11-07T17:00:00Z')).map(({ start, end }) => [iso(start), iso(end)]),
    [['2026-11-06T17:00:00.000Z', '2026-11-06T22:00:00.000Z'], ['2026-11-06T23:00:00.000Z', '2026-11-07T11:00:00.000Z']],
    'Friday 18:00-24:00 and Saturday 00:00-06:00 form one opening')

  const lateOnly: BusinessCalendar = { timezone: 'America/New_York', week: weekdays(none, { sat: [['20:00', '24:00']] }), holidays: [] }
  // Saturday 7 March 2026: 24:00 is Sunday 00:00 EST (05:00Z), hours before the 02:00 jump.
  t.same(openIntervals(lateOnly, at('2026-03-07T00:00:00Z'), at('2026-03-09T00:00:00Z')).map(({ start, end }) => [iso(start), iso(end)]),
    [['2026-03-08T01:00:00.000Z', '2026-03-08T05:00:00.000Z']])
  t.notOk(isOpen(lateOnly, at('2026-03-08T05:00:00Z')), '24:00 is closed when the next day does not open at 00:00')
  t.equal(iso(addBusinessTime(lateOnly, at('2026-03-08T01:00:00Z'), 4 * H)), '2026-03-08T05:00:00.000Z', 'a deadline can be 24:00 itself')
})

t.test('a deadline starting outside opening hours', async (t) => {
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T07:00:00+08:00'), H)), '2026-11-09T02:00:00.000Z', 'early: from 09:00, due 10:00')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T12:30:00+08:00'), 30 * M)), '2026-11-09T05:30:00.000Z', 'at lunch: due 13:30')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T12:00:00+08:00'), H)), '2026-11-09T06:00:00.000Z', 'at the start of lunch: 14:00')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-08T15:00:00+08:00'), 0)), '2026-11-09T01:00:00.000Z', 'Sunday, zero: next opening')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T18:30:00+08:00'), 0)), '2026-11-10T01:00:00.000Z', 'at closing, zero: next morning')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T10:15:00.123+08:00'), 0)), '2026-11-09T02:15:00.123Z', 'open, zero: the start')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T11:59:59.999+08:00'), 2)), '2026-11-09T05:00:00.001Z', 'to the millisecond')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T11:00:00+08:00'), H)), '2026-11-09T04:00:00.000Z', 'lands exactly at 12:00')
})

t.test('a calendar that never opens throws instead of looping', async (t) => {
  const closed: BusinessCalendar = { timezone: 'Europe/Berlin', week: everyDay(none), holidays: [] }
  t.throws(() => addBusinessTime(closed, at('2026-01-01T00:00:00Z'), H), { message: new RegExp(`no opening hours in ${MAX_CLOSED_DAYS} consecutive days`) })
  t.throws(() => addBusinessTime(closed, at('2026-01-01T00:00:00Z'), 0), { message: /no opening hours/ })
  t.equal(businessTimeBetween(closed, at('2020-01-01T00:00:00Z'), at('2030-01-01T00:00:00Z')), 0, 'a bounded span is just empty')
  t.same(openIntervals(closed, at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z')), [])
  t.notOk(isOpen(closed, at('2026-01-01T00:00:00Z')))

  const holidayYear: BusinessCalendar = { timezone: 'UTC', week: weekdays(none, { mon: [['09:00', '10:00']] }), holidays: [] }
  const mondays = Array.from({ length: 50 }, (_, i) => new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10))
  t.equal(iso(addBusinessTime({ ...holidayYear, holidays: mondays }, at('2026-01-01T00:00:00Z'), 0)), '2026-12-21T09:00:00.000Z',
    'fifty Mondays off in a row is a long wait, not an error')
  t.equal(iso(addBusinessTime({ ...holidayYear, holidays: mondays, extraWorkdays: ['2026-06-06'] }, at('2026-01-01T00:00:00Z'), 0)),
    '2026-06-06T09:00:00.000Z', 'an extra working day (a Saturday) opens with Monday hours while every Monday is off')
  t.throws(() => addBusinessTime({ ...holidayYear, week: everyDay(none), extraWorkdays: ['2026-06-06'] }, at('2026-01-01T00:00:00Z'), 0),
    { message: /no opening hours/ }, 'with no Monday hours an extra working day has none either')
})

t.test('invalid calendars and arguments are refused with a clear error', async (t) => {
  const bad = {
    timezone: 'Mars/Olympus',
    week: weekdays([['09:00', '12:00'], ['11:00', '18:00']], { sat: [['18:00', '09:00']], sun: [['9:00', '24:01'], ['24:00', '24:00']] }),
    holidays: ['2026-02-30', 'tomorrow'],
    extraWorkdays: ['2026-13-01'],
  } as BusinessCalendar
  const problems = calendarProblems(bad)
  t.match(problems, [
    /timezone: "Mars\/Olympus"/, /week\.mon\[1\]: 11:00-18:00 overlaps/, /week\.tue\[1\]/, /week\.wed\[1\]/, /week\.thu\[1\]/, /week\.fri\[1\]/,
    /week\.sat\[0\]: 18:00-09:00 ends before it starts/, /week\.sun\[0\]: \["9:00","24:01"\] is not a pair/, /week\.sun\[1\]/,
    /holidays\[0\]: "2026-02-30"/, /holidays\[1\]/, /extraWorkdays\[0\]/,
  ])
  t.equal(problems.length, 12)
  t.same(calendarProblems({ ...bad, week: { mon: none } as BusinessCalendar['week'], holidays: 'x' as unknown as string[], timezone: 'UTC', extraWorkdays: [] }),
    ['week.tue: missing', 'week.wed: missing', 'week.thu: missing', 'week.fri: missing', 'week.sat: missing', 'week.sun: missing', 'holidays: not a list of dates'])
  t.same(calendarProblems(shanghai), [])
  const untyped = JSON.parse('{"timezone":"UTC","week":{"mon":["09:00-18:00",[9,18]],"tue":[],"wed":[],"thu":[],"fri":[],"sat":[],"sun":[]},"holidays":[20261001]}')
  t.same(calendarProblems(untyped), [
    'week.mon[0]: "09:00-18:00" is not a pair of "HH:MM" times',
    'week.mon[1]: [9,18] is not a pair of "HH:MM" times',
    'holidays[0]: "20261001" is not a date YYYY-MM-DD',
  ], 'JSON from elsewhere is checked too')
  t.throws(() => isOpen(shanghai, '2026-10-10T10:00:00+08:00' as unknown as Date), { message: 'instant is not a valid Date' })
  t.throws(() => isOpen(bad, at('2026-01-01T00:00:00Z')), { message: /^invalid business calendar: timezone/ })
  t.throws(() => addBusinessTime(shanghai, at('2026-01-01T00:00:00Z'), -1), RangeError)
  t.throws(() => addBusinessTime(shanghai, at('2026-01-01T00:00:00Z'), Number.NaN), RangeError)
  t.throws(() => addBusinessTime(shanghai, new Date(Number.NaN), 1), { message: 'start is not a valid Date' })
  t.throws(() => businessTimeBetween(shanghai, at('2026-01-01T00:00:00Z'), new Date('nope')), { message: 'to is not a valid Date' })
  t.equal(businessTimeBetween(shanghai, at('2026-11-10T00:00:00Z'), at('2026-11-09T00:00:00Z')), 0, 'b before a')
  t.equal(iso(addBusinessTime(shanghai, at('2026-11-09T10:00:00+08:00'), 0.6)), '2026-11-09T02:00:00.001Z', 'fractions of a ms round')
})

// How long these take is measured by `npm run bench:calendar` (bench/RESULTS.md), not here.
t.test('a whole year of business time in Berlin', async (t) => {
  const berlin: BusinessCalendar = { timezone: 'Europe/Berlin', week: weekdays(LUNCH_BREAK), holidays: ['2026-12-25', '2026-12-26'] }
  // 2026 has 261 weekdays; the two holidays fall on a Friday and a Saturday.
  t.equal(businessTimeBetween(berlin, at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z')), 260 * 8.5 * H)
})

// Business-calendar benchmark (issue 4): the cost of the calendar arithmetic every business-time deadline pays.
// Run: npm run bench:calendar. Pure computation: no database, no Redis.
import os from 'node:os'
import { type BusinessCalendar, addBusinessTime, businessTimeBetween } from '../src/sla/calendar.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 200)
const H = 3_600_000
const LUNCH_BREAK: [string, string][] = [['09:00', '12:00'], ['13:00', '18:30']]
const weekdays = { mon: LUNCH_BREAK, tue: LUNCH_BREAK, wed: LUNCH_BREAK, thu: LUNCH_BREAK, fri: LUNCH_BREAK, sat: [], sun: [] }
const berlin: BusinessCalendar = { timezone: 'Europe/Berlin', week: weekdays, holidays: ['2026-12-25', '2026-12-26'] }
const shanghai: BusinessCalendar = {
  timezone: 'Asia/Shanghai',
  week: weekdays,
  holidays: ['2026-09-25', '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
  extraWorkdays: ['2026-09-20', '2026-10-10'],
}

const cases: [string, () => unknown][] = [
  ['PT8H deadline from a Friday evening (Asia/Shanghai)', () => addBusinessTime(shanghai, new Date('2026-11-06T19:30:00+08:00'), 8 * H)],
  ['P5D deadline across National Day (Asia/Shanghai)', () => addBusinessTime(shanghai, new Date('2026-09-14T09:00:00+08:00'), 5 * 24 * H)],
  ['business time spent waiting, one week (Europe/Berlin)', () =>
    businessTimeBetween(berlin, new Date('2026-03-23T10:00:00Z'), new Date('2026-03-30T10:00:00Z'))],
  ['business time in a whole year (Europe/Berlin)', () =>
    businessTimeBetween(berlin, new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'))],
]

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

console.log(`${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'} · Node ${process.versions.node} · ${RUNS} runs each`)
console.log('| operation | p50 ms | p99 ms | max ms |')
console.log('| --- | --- | --- | --- |')
for (const [name, run] of cases) {
  for (let i = 0; i < 20; i++) run()
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    run()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const ms = (value: number) => value.toFixed(3)
  console.log(`| ${name} | ${ms(quantile(times, 0.5))} | ${ms(quantile(times, 0.99))} | ${ms(times.at(-1)!)} |`)
}

import fc from 'fast-check'
import t from 'tap'
import { csvField, prefersCsv, toCsv } from '../../src/reports/csv.js'
import { percentiles } from '../../src/reports/percentiles.js'
import { compareKeys } from '../../src/reports/summary-keys.js'
import { parseCsv, text } from './fixtures/support.js'

/** percentile_cont as Postgres defines it, on a sorted copy. */
function reference(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const position = p * (sorted.length - 1)
  const lo = Math.floor(position)
  const hi = Math.ceil(position)
  return sorted[lo]! + (position - lo) * (sorted[hi]! - sorted[lo]!)
}

t.test('percentiles by selection equal percentile_cont on the sorted values', async (t) => {
  t.same(percentiles(new Int32Array([]), [0.5, 0.9]), [null, null])
  t.same(percentiles(new Int32Array([7]), [0.5, 0.9]), [7, 7])
  t.same(percentiles(Int32Array.from([1440, 10, 120, 60, 240, 30]), [0.5, 0.9]), [90, 840])
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 500_000 }), { maxLength: 300 }),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
    (values, ps) => {
      const sortedPs = [...ps].sort((a, b) => a - b)
      const got = percentiles(Int32Array.from(values), sortedPs)
      sortedPs.forEach((p, i) => {
        const want = reference(values, p)
        if (want === null ? got[i] !== null : Math.abs(got[i]! - want) > 1e-6) {
          throw new Error(`p${p} of ${values.length}: ${got[i]} != ${want}`)
        }
      })
    },
  ), { numRuns: 500 })
  // Many equal values (ties around the pivot) and sorted runs.
  const ties = Int32Array.from({ length: 10_001 }, (_, i) => (i % 3 === 0 ? 5 : i % 7))
  t.same(percentiles(Int32Array.from(ties), [0.5, 0.9]), [reference([...ties], 0.5), reference([...ties], 0.9)])
  const sorted = Int32Array.from({ length: 10_000 }, (_, i) => i)
  t.same(percentiles(sorted, [0.5, 0.9]), [4999.5, 8999.1])
})

t.test('CSV fields: quoting, nulls, numbers and the formula guard round-trip', async (t) => {
  t.equal(csvField(null), '')
  t.equal(csvField(undefined), '')
  t.equal(csvField(0.1 + 0.2), '0.30000000000000004')
  t.equal(csvField(Number.NaN), '')
  t.equal(csvField('plain'), 'plain')
  t.equal(csvField('a,b'), '"a,b"')
  t.equal(csvField('say "hi"'), '"say ""hi"""')
  t.equal(csvField('two\nlines'), '"two\nlines"')
  t.equal(csvField('=1+1'), "'=1+1")
  t.equal(csvField('-5'), "'-5")
  t.equal(csvField("'quoted"), "''quoted")
  const values = ['=SUM(A1)', '+86 138', '@me', '-x', "'", "''a", 'a,"b"\r\nc', '\tindent', 'ok', '']
  const rows = parseCsv(toCsv(['v'], values.map((v) => [v])))
  t.same(rows.slice(1).map((r) => text(r[0]!) ?? ''), values)
})

t.test('Accept: text/csv only when preferred', async (t) => {
  t.equal(prefersCsv(undefined), false)
  t.equal(prefersCsv(''), false)
  t.equal(prefersCsv('text/csv'), true)
  t.equal(prefersCsv('TEXT/CSV; charset=utf-8'), true)
  t.equal(prefersCsv('text/csv;q=0.9, application/json'), false)
  t.equal(prefersCsv('application/*;q=0.5, text/csv'), true)
  t.equal(prefersCsv('text/csv;q=abc'), false)
})

t.test('keys sort by code point, null last', async (t) => {
  t.same([null, 'b', 'B', 'a', null].sort(compareKeys), ['B', 'a', 'b', null, null])
})

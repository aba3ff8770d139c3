// CSV (RFC 4180) for the reports: a header row, CRLF line ends, fields quoted when they hold a comma, a quote or a
// line break. A text field that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a CR) is
// written with a leading apostrophe, and so is one that starts with an apostrophe: a reader that drops one leading
// apostrophe from every text field gets the value back exactly. Numbers are written as JSON writes them; null is an
// empty field.

export type Cell = string | number | null | undefined

const FORMULA_START = /^[=+\-@\t\r']/

export function csvField(value: Cell): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}

interface MediaRange {
  type: string
  q: number
  index: number
}

function parseAccept(accept: string): MediaRange[] {
  return accept.split(',').map((part, index) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase())
    const qParam = params.find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    return { type, q: Number.isFinite(q) ? q : 0, index }
  })
}

/**
 * Whether the Accept header asks for text/csv rather than JSON. JSON is the default: CSV is chosen when text/csv is
 * listed with a quality above JSON's, or equal to it when JSON is reached only through a wildcard or listed later.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false
  const ranges = parseAccept(accept)
  const csv = ranges.find((r) => r.type === 'text/csv')
  if (!csv || csv.q <= 0) return false
  const json = ranges.find((r) => r.type === 'application/json') ??
    ranges.find((r) => r.type === 'application/*') ??
    ranges.find((r) => r.type === '*/*')
  if (!json) return true
  if (csv.q !== json.q) return csv.q > json.q
  return json.type !== 'application/json' || csv.index < json.index
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present'

import type { Cell } from './csv.js'
import type { Figures, SummaryReport } from './reports.schemas.js'

const FIGURE_COLUMNS = [
  'received', 'closed', 'resolved', 'resolvedOnTheSpot', 'onTheSpotRate', 'withinDeadlineRate', 'escalated',
  'escalationRate', 'maxLevel', 'reopened', 'reopenRate', 'followUpCoverage', 'satisfactionAvg', 'satisfiedShare',
  'withinOriginalPromiseRate', 'extendedRate', 'transfers', 'sentBack', 'repeatContactRate', 'incidentShare',
] as const

/**
 * The CSV form: a `row` column (`total` or `group`), `key` (and `name` for groupBy=agent), then every figure, the
 * nested ones flattened with dots: `resolutionMinutes.p50`, `compensation.<kind>.count`, `compensation.<kind>.amount`
 * for every kind granted in the period (empty where a group granted none of it). The total row comes first.
 */
export function summaryCsv(report: SummaryReport): { header: string[]; rows: Cell[][] } {
  const kinds = Object.keys(report.total.compensation)
  const withName = report.groupBy === 'agent' || report.groupBy === 'incident'
  const header = [
    'row', 'key', ...(withName ? ['name'] : []), ...FIGURE_COLUMNS, 'resolutionMinutes.p50', 'resolutionMinutes.p90',
    ...kinds.flatMap((kind) => [`compensation.${kind}.count`, `compensation.${kind}.amount`]),
  ]
  const line = (kind: 'total' | 'group', key: string | null, name: string | null | undefined, figures: Figures): Cell[] => [
    kind, key, ...(withName ? [name ?? null] : []),
    ...FIGURE_COLUMNS.map((column) => figures[column]),
    figures.resolutionMinutes.p50, figures.resolutionMinutes.p90,
    ...kinds.flatMap((k) => [figures.compensation[k]?.count ?? null, figures.compensation[k]?.amount ?? null]),
  ]
  return {
    header,
    rows: [line('total', null, null, report.total), ...report.groups.map((g) => line('group', g.key, g.name, g))],
  }
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { DateTime, IANAZone } from 'luxon'
import Type, { type TSchema } from 'typebox'
import { problemResponses } from '../http/schemas.js'
import { problems } from '../http/problem.js'
import { CSV_CONTENT_TYPE, prefersCsv, toCsv, type Cell } from './csv.js'
import { repeatComplainants, repeatCsv } from './repeat-complainants.js'
import { MAX_DAYS_BY_DAY, RepeatQuery, RepeatReport, SummaryQuery, SummaryReport } from './reports.schemas.js'
import { refreshReportDays, summaryReport } from './summary.js'
import { summaryCsv } from './summary-csv.js'
import { refreshReportFacts } from './facts-refresh.js'

const READERS = ['admin', 'supervisor'] as const
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

function okResponse(schema: TSchema, description: string, csv: string) {
  return {
    description,
    headers: { vary: { type: 'string', description: 'Accept: the same URL answers JSON or CSV' } },
    content: {
      'application/json': { schema },
      'text/csv': { schema: Type.String({ description: csv }) },
    },
  }
}

/** A period bound: an instant as given, or a calendar date read as the start of that day in `tz`. */
function instant(value: string, tz: string, field: string): Date {
  const parsed = DATE_ONLY.test(value) ? DateTime.fromISO(value, { zone: tz }) : DateTime.fromISO(value, { setZone: true })
  if (!parsed.isValid) throw problems.validation([{ field, message: 'is not a valid date or date-time' }])
  return parsed.toJSDate()
}

function sendCsv(reply: FastifyReply, filename: string, table: { header: string[]; rows: Cell[][] }) {
  return reply
    .type(CSV_CONTENT_TYPE)
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(toCsv(table.header, table.rows))
}

const reportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Days noted dirty are read from report_facts until their report_daily rows are rebuilt: after answering a report
  // that found some, this process rebuilds them in the background (one rebuild at a time; the database serialises
  // rebuilds of all processes).
  let refreshing: Promise<void> | undefined
  const refreshSoon = () => {
    refreshing ??= refreshReportDays(app.db)
      .then(() => undefined, (error: unknown) => app.log.warn({ err: error }, 'rebuilding report days failed'))
      .finally(() => {
        refreshing = undefined
      })
  }
  app.addHook('onClose', async () => {
    await refreshing
  })

  app.get('/v1/reports/summary', {
    config: { roles: READERS },
    schema: {
      tags: ['reports'],
      operationId: 'getSummaryReport',
      summary: 'Figures of the complaints received in a period, in total and by group (JSON, or CSV with Accept: text/csv)',
      description: 'Every figure is defined in docs/reports.md. Rates are fractions 0..1, null where the denominator is 0. ' +
        'The CSV has one row per group plus a total row, nested figures flattened as `resolutionMinutes.p50` and ' +
        '`compensation.<kind>.count`.',
      querystring: SummaryQuery,
      response: {
        200: okResponse(SummaryReport, 'The report', 'a header row, the total row, then one row per group'),
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const { groupBy, tz = 'UTC' } = request.query
    if (!IANAZone.isValidZone(tz)) throw problems.validation([{ field: 'querystring.tz', message: 'is not an IANA time zone' }])
    const from = instant(request.query.from, tz, 'querystring.from')
    const to = instant(request.query.to, tz, 'querystring.to')
    if (to.getTime() <= from.getTime()) throw problems.validation([{ field: 'querystring.to', message: 'must be later than from' }])
    if (groupBy === 'day' && to.getTime() - from.getTime() > MAX_DAYS_BY_DAY * 86_400_000) {
      throw problems.validation([{ field: 'querystring.to', message: `groupBy=day covers at most ${MAX_DAYS_BY_DAY} days` }])
    }
    let result
    try {
      // Every transition committed before this request is in the report: the rows it noted are rebuilt first.
      await refreshReportFacts(app.db)
      result = await summaryReport(app.db, { from, to, groupBy, tz })
    } catch (error) {
      // A zone luxon knows and Postgres does not.
      if ((error as { code?: string }).code === '22023') throw problems.validation([{ field: 'querystring.tz', message: 'is not a time zone the database knows' }])
      throw error
    }
    if (result.dirtyDays > 0) refreshSoon()
    const { report } = result
    reply.header('vary', 'accept')
    if (!prefersCsv(request.headers.accept)) return report
    const day = (iso: string) => iso.slice(0, 10)
    return sendCsv(reply, `summary_${day(report.from)}_${day(report.to)}${groupBy ? `_${groupBy}` : ''}.csv`, summaryCsv(report))
  })

  app.get('/v1/reports/repeat-complainants', {
    config: { roles: READERS },
    schema: {
      tags: ['reports'],
      operationId: 'getRepeatComplainants',
      summary: 'Customers with min or more complaints in the last days days, with their categories (JSON or CSV)',
      description: 'Every complaint received in the window counts, whatever its state. CSV: one row per customer, ' +
        'categories joined with "; ". Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md); `total` ' +
        'counts every page.',
      querystring: RepeatQuery,
      response: {
        200: okResponse(RepeatReport, 'The repeat complainants', 'a header row, then one row per customer'),
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const { min = 2, days = 30, limit = 100, cursor } = request.query
    const report = await repeatComplainants(app.db, { min, days, limit, now: new Date(), ...(cursor ? { cursor } : {}) })
    reply.header('vary', 'accept')
    if (!prefersCsv(request.headers.accept)) return report
    return sendCsv(reply, `repeat-complainants_${min}-in-${days}d.csv`, repeatCsv(report))
  })
}

export default reportsRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problems, type FieldError } from '../http/problem.js'
import { json, problemResponses } from '../http/schemas.js'
import { calendarProblems } from './calendar.js'
import { durationMs, type Calendar, type SlaPolicy } from './policy.js'
import { currentPolicy, savePolicy, type StoredPolicy } from './policy.repository.js'
import { SlaPolicyResponse, SlaPolicySchema } from './policy.schemas.js'

/** The calendar arithmetic's own checks (zones, intervals, real dates), as field errors. */
function calendarErrors(calendar: Calendar, field: string): FieldError[] {
  const errors: FieldError[] = calendarProblems(calendar).map((problem) => {
    const split = problem.indexOf(': ')
    const path = problem.slice(0, split).replace(/\[(\d+)\]/g, '.$1')
    return { field: `${field}.${path}`, message: problem.slice(split + 2) }
  })
  if (Object.values(calendar.week).every((intervals) => intervals.length === 0)) {
    errors.push({ field: `${field}.week`, message: 'has no opening hours at all: business-time deadlines could never fall due' })
  }
  return errors
}

/** What the schema cannot say: real time zones, intervals that end after they start, non-zero durations. */
export function policyErrors(policy: SlaPolicy): FieldError[] {
  const errors = calendarErrors(policy.calendar, 'body.calendar')
  for (const [team, calendar] of Object.entries(policy.teamCalendars ?? {})) {
    errors.push(...calendarErrors(calendar, `body.teamCalendars.${team}`))
  }
  const durations: [string, string][] = [
    ...Object.entries(policy.response).map(([severity, d]): [string, string] => [`response.${severity}`, d]),
    ...Object.entries(policy.tiers ?? {}).flatMap(([tier, overrides]) =>
      Object.entries(overrides.response ?? {}).map(([severity, d]): [string, string] => [`tiers.${tier}.response.${severity}`, d!])),
    ['triage', policy.triage], ['escalationAck', policy.escalationAck], ['escalationResponse', policy.escalationResponse],
    ['followUpAfter', policy.followUpAfter], ['followUpRetry', policy.followUpRetry],
  ]
  for (const [field, value] of durations) {
    if (!(durationMs(value) > 0)) errors.push({ field: `body.${field}`, message: 'must be longer than zero' })
  }
  return errors
}

const present = ({ policy, version, updatedAt }: StoredPolicy) => ({ ...policy, version, updatedAt: updatedAt?.toISOString() ?? null })

const policyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/sla-policies', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'getSlaPolicy',
      tags: ['sla'],
      summary: 'The SLA policy in force',
      response: { 200: json(SlaPolicyResponse, 'The policy, with its version'), ...problemResponses() },
    },
  }, async () => present(await currentPolicy(app.db)))

  app.put('/v1/sla-policies', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'putSlaPolicy',
      tags: ['sla'],
      summary: 'Replace the SLA policy; pending deadlines keep what was promised',
      body: SlaPolicySchema,
      response: { 200: json(SlaPolicyResponse, 'The new policy, with its version'), ...problemResponses(413, 415) },
    },
  }, async (request) => {
    const policy = request.body as SlaPolicy // the schema holds every interval to exactly two items
    const errors = policyErrors(policy)
    if (errors.length > 0) throw problems.validation(errors)
    return present(await savePolicy(app.db, policy, request.user.id))
  })
}

export default policyRoutes

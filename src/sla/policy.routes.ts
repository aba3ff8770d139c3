import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problems, type FieldError } from '../http/problem.js'
import { json, problemResponses } from '../http/schemas.js'
import { durationMs, type SlaPolicy } from './policy.js'
import { currentPolicy, savePolicy, type StoredPolicy } from './policy.repository.js'
import { SlaPolicyResponse, SlaPolicySchema } from './policy.schemas.js'

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** What the schema cannot say: real time zones, intervals that end after they start, non-zero durations. */
export function policyErrors(policy: SlaPolicy): FieldError[] {
  const errors: FieldError[] = []
  if (!isTimeZone(policy.calendar.timezone)) {
    errors.push({ field: 'body.calendar.timezone', message: 'is not an IANA time zone' })
  }
  for (const [day, intervals] of Object.entries(policy.calendar.week)) {
    intervals.forEach(([from, to], i) => {
      if (from >= to) errors.push({ field: `body.calendar.week.${day}.${i}`, message: 'must end after it starts' })
      const previous = intervals[i - 1]
      if (previous && previous[1] > from) errors.push({ field: `body.calendar.week.${day}.${i}`, message: 'overlaps the interval before it' })
    })
  }
  const durations: [string, string][] = [
    ...Object.entries(policy.response).map(([severity, d]): [string, string] => [`response.${severity}`, d]),
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

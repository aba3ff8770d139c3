import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import { etag } from '../complaints/if-match.js'
import { pageOf } from '../http/paging.js'
import { json, problemResponses } from '../http/schemas.js'
import type { IncidentDetailView, IncidentService } from './incident.service.js'
import {
  CreateIncidentBody, IncidentComplaintParams, IncidentHeaders, IncidentListQuery, IncidentParams, LinkBody, ResolveAnswer,
  ResolveIncidentBody,
} from './incident.schemas.js'
import { presentIncident } from './incident.view.js'

const STAFF = ['agent', 'supervisor'] as const
const READERS = ['agent', 'supervisor', 'admin'] as const

export interface IncidentRoutesOptions {
  service: IncidentService
}

const detailResponse = (description: string) => ({
  description,
  headers: { etag: { type: 'string', description: 'the incident version, "<version>"' } },
  content: { 'application/json': { schema: Type.Ref('IncidentDetail') } },
})

/** A 409 answer naming its codes. */
const conflict = (...codes: string[]) => ({
  409: { description: `Conflict with the current state (${codes.join(', ')})`, content: { 'application/problem+json': { schema: Type.Ref('Problem') } } },
})

function sendIncident(reply: FastifyReply, incident: IncidentDetailView) {
  reply.header('etag', etag(incident.version))
  return incident
}

/** Incidents (并单): many callers, one cause (docs/incidents.md). */
const incidentRoutes: FastifyPluginAsyncTypebox<IncidentRoutesOptions> = async (app, { service }) => {
  app.post('/v1/incidents', {
    config: { roles: ['supervisor'] },
    schema: {
      tags: ['incidents'],
      operationId: 'createIncident',
      summary: 'Open an incident: one cause behind the complaints of many customers',
      description: 'Supervisors only. The incident starts open and empty: link complaints to it, then resolve them all at once (docs/incidents.md).',
      body: CreateIncidentBody,
      response: {
        201: {
          description: 'The incident, open, with no complaint yet',
          headers: { etag: { type: 'string', description: 'the incident version, "<version>"' }, location: { type: 'string', description: 'the URL of the incident' } },
          content: { 'application/json': { schema: Type.Ref('Incident') } },
        },
        ...problemResponses(413, 415),
      },
    },
  }, async (request, reply) => {
    const { complaints: _complaints, ...incident } = await service.create(request.user, request.body)
    reply.status(201).header('location', `/v1/incidents/${incident.id}`).header('etag', etag(incident.version))
    return incident
  })

  app.get('/v1/incidents', {
    config: { roles: READERS },
    schema: {
      tags: ['incidents'],
      operationId: 'listIncidents',
      summary: 'Incidents, newest first',
      description: 'Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      querystring: IncidentListQuery,
      response: { 200: json(pageOf(Type.Ref('Incident')), 'A page of incidents'), ...problemResponses() },
    },
  }, async (request) => {
    const page = await service.list(request.query)
    return { items: page.items.map(presentIncident), nextCursor: page.nextCursor }
  })

  app.get('/v1/incidents/:id', {
    config: { roles: READERS },
    schema: {
      tags: ['incidents'],
      operationId: 'getIncident',
      summary: "One incident, with its complaints' ids, references and states",
      description: 'Agents, supervisors and admins. The ETag is the incident\'s version, for `If-Match` on its resolve.',
      params: IncidentParams,
      response: { 200: detailResponse('The incident'), ...problemResponses('not_found') },
    },
  }, async (request, reply) => sendIncident(reply, await service.get(request.params.id)))

  app.post('/v1/incidents/:id/complaints', {
    config: { roles: STAFF },
    schema: {
      tags: ['incidents'],
      operationId: 'linkIncidentComplaints',
      summary: 'Link open complaints of any customers to the incident, all or none',
      description:
        'Each complaint gets `incidentId` and a `complaint.linked_to_incident` history event. One refusal refuses the ' +
        'whole request and links nothing: an unknown complaint (404 not_found, `missing` lists them), one not open ' +
        '(409 complaint_closed), one in another incident (409 already_linked), a resolved incident (409 incident_resolved). ' +
        'A complaint already in this incident is left as it is.',
      params: IncidentParams,
      body: LinkBody,
      response: {
        200: detailResponse('The incident with its complaints'),
        ...problemResponses('not_found', 413, 415),
        ...conflict('complaint_closed', 'already_linked', 'incident_resolved'),
      },
    },
  }, async (request, reply) => sendIncident(reply, await service.link(request.user, request.params.id, request.body.complaintIds)))

  app.delete('/v1/incidents/:id/complaints/:complaintId', {
    config: { roles: STAFF },
    schema: {
      tags: ['incidents'],
      operationId: 'unlinkIncidentComplaint',
      summary: 'Take a complaint out of the incident',
      description:
        'History `complaint.unlinked_from_incident`. A complaint not in this incident: 404 not_found; a resolved incident: ' +
        '409 incident_resolved. Unlinking the last open complaint of an incident whose resolve was asked for resolves it.',
      params: IncidentComplaintParams,
      response: {
        200: detailResponse('The incident with its complaints'),
        ...problemResponses('not_found'),
        ...conflict('incident_resolved'),
      },
    },
  }, async (request, reply) => sendIncident(reply, await service.unlink(request.user, request.params.id, request.params.complaintId)))

  app.post('/v1/incidents/:id/resolve', {
    config: { roles: ['supervisor'] },
    schema: {
      tags: ['incidents'],
      operationId: 'resolveIncident',
      summary: "Resolve every open complaint of the incident, each within the caller's authority",
      description:
        "Each open complaint is resolved as the caller, as its own resolve would (the customer is told, the follow-up " +
        'call is armed); one the caller may not resolve stays open and is listed in `skipped` with its code ' +
        '(authority_exceeded, forbidden for an escalation above their level, invalid_transition for one still ' +
        'received). The incident is resolved once none of its complaints is open. If-Match takes the incident version.',
      params: IncidentParams,
      headers: IncidentHeaders,
      body: ResolveIncidentBody,
      response: {
        200: json(ResolveAnswer, 'What was resolved and what was left open'),
        ...problemResponses('not_found', 'version_conflict', 413, 415),
        ...conflict('incident_resolved'),
      },
    },
  }, async (request, reply) => {
    const answer = await service.resolve(request.user, request.params.id, request.headers['if-match'], request.body)
    reply.header('etag', etag(answer.incident.version))
    return answer
  })
}

export default incidentRoutes

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type, { type Static, type TSchema } from 'typebox'
import { ACTION_PROBE, ROLE_MAY, type ActionName, type Actor } from '../../workflows/complaint.machine.js'
import { USER_ROLES, type UserRole } from '../db/tables.js'
import { pageOf } from '../http/paging.js'
import { IdParams, json, LOCATION_HEADER, problemResponses, REPLAYED_HEADER } from '../http/schemas.js'
import type { ProblemCode } from '../http/problem.js'
import {
  acknowledgeCommand,
  assignCommand,
  awaitCustomerCommand,
  decideExtensionCommand,
  escalateCommand,
  followUpCommand,
  logCommand,
  noteCommand,
  reopenCommand,
  requestExtensionCommand,
  resolveCommand,
  resumeCommand,
  withdrawCommand,
} from './commands.js'
import { listComplaints, pageEtag } from './complaint.list.js'
import { sendBackCommand, transferCommand } from './transfers.js'
import type { AuthUser } from '../auth/auth.plugin.js'
import type { ComplaintRecord } from './complaint.repository.js'
import {
  ACTION_DESCRIPTIONS,
  ActionHeaders,
  AssignBody,
  ComplaintEvent,
  CreateComplaintBody,
  CreateHeaders,
  DecideExtensionBody,
  EmptyBody,
  EscalateBody,
  EventsQuery,
  FollowUpBody,
  ListQuery,
  LogBody,
  MergeBody,
  NoteBody,
  ReadHeaders,
  ReopenBody,
  RequestExtensionBody,
  ResolveBody,
  SendBackBody,
  TransferBody,
  WaitBody,
  WithdrawBody,
} from './complaint.schemas.js'
import type { ComplaintService } from './complaint.service.js'
import { presentComplaint } from './complaint.view.js'
import type { Command } from './transition.js'
import { etag, noneMatch } from './if-match.js'
import { withSuggestions } from '../incidents/incident.view.js'

const STAFF = ['agent', 'supervisor'] as const
const READERS = USER_ROLES

interface ActionRoute {
  operationId: string
  summary: string
  body: TSchema
  /** The command it runs under the complaint's lock (service.act); merge runs a service method of its own. */
  build?: (actor: Actor, body: never, user: AuthUser) => Command
  /** The 409 codes the action answers besides invalid_transition, named in the document's 409 description. */
  conflicts?: ProblemCode[]
  /** The 200 answer's description. */
  answer?: string
  /**
   * Fewer roles than the machine's ROLE_MAY lets send the action's event, and why; without it, the route allows
   * exactly the users' roles the machine does.
   */
  narrowed?: { roles: readonly UserRole[]; why: string }
}

/**
 * Every action of the machine (ACTION_NAMES) has its route, `POST /v1/complaints/{id}/<action>`: one missing fails
 * the build. Listed in the order the document lists them.
 */
const ACTION_ROUTES = {
  merge: { operationId: 'mergeComplaint', summary: 'Close this complaint as a duplicate of another open complaint of the same customer', body: MergeBody, answer: 'This complaint, closed as duplicate' },
  log: { operationId: 'logComplaint', summary: 'Log a received complaint', body: LogBody, build: logCommand },
  resolve: { operationId: 'resolveComplaint', summary: 'Resolve (on the spot from logged, after escalation from escalated)', body: ResolveBody, build: resolveCommand },
  escalate: { operationId: 'escalateComplaint', summary: 'Escalate one level higher', body: EscalateBody, build: escalateCommand },
  acknowledge: { operationId: 'acknowledgeEscalation', summary: 'Take the escalation', body: EmptyBody, build: acknowledgeCommand },
  'follow-up': { operationId: 'recordFollowUp', summary: 'Record the follow-up call', body: FollowUpBody, build: followUpCommand },
  withdraw: { operationId: 'withdrawComplaint', summary: 'Close a complaint the customer withdrew', body: WithdrawBody, build: withdrawCommand },
  assign: { operationId: 'assignComplaint', summary: 'Reassign the complaint', body: AssignBody, build: assignCommand },
  notes: { operationId: 'addNote', summary: 'Add a note; no state change', body: NoteBody, build: noteCommand },
  'await-customer': { operationId: 'awaitCustomer', summary: 'Stop the response clock while waiting for the customer', body: WaitBody, build: awaitCustomerCommand },
  resume: {
    operationId: 'resumeClock', summary: 'Restart the response clock; its deadlines move by the time spent waiting', body: WaitBody, build: resumeCommand,
    narrowed: { roles: STAFF, why: "an integration resumes the clock with the customer's reply, through the signed webhook intake (src/webhooks/intake.routes.ts), not with this route" },
  },
  'request-extension': { operationId: 'requestExtension', summary: 'Ask a supervisor for more time before the promise breaks (409 extension_pending while one waits)', body: RequestExtensionBody, build: requestExtensionCommand, conflicts: ['extension_pending'] },
  transfer: { operationId: 'transferComplaint', summary: "Transfer to another team (an agent of the complaint's team, or any agent when it has none; any supervisor): the receiving team's least-loaded agent takes it; the promise does not move", body: TransferBody, build: transferCommand },
  'send-back': { operationId: 'sendBackComplaint', summary: 'The receiving team sends a transfer back to the team and assignee it came from, within policy.sendBackWithin (409 send_back_window_passed), once', body: SendBackBody, build: sendBackCommand, conflicts: ['send_back_window_passed'] },
  reopen: { operationId: 'reopenComplaint', summary: 'Reopen a closed complaint within policy.reopenWithin (409 reopen_window_passed): escalated one level up, reason reopened; not one closed as withdrawn or duplicate', body: ReopenBody, build: reopenCommand, conflicts: ['reopen_window_passed'] },
  'decide-extension': { operationId: 'decideExtension', summary: 'Approve (the promise moves and the customer is told) or refuse the pending extension (409 no_pending_extension)', body: DecideExtensionBody, build: decideExtensionCommand, conflicts: ['no_pending_extension'] },
} satisfies Record<ActionName, ActionRoute>

const PROBE_ACTOR: Actor = { id: null, role: 'system', level: null, compensationLimit: null }

/** The users' roles that may post an action: those ROLE_MAY allows the event it sends, unless the route narrows them. */
export function actionRoles(action: ActionName): readonly UserRole[] {
  const route: ActionRoute = ACTION_ROUTES[action]
  if (route.narrowed) return route.narrowed.roles
  const event = ACTION_PROBE[action](PROBE_ACTOR).type
  return ROLE_MAY[event].filter((role): role is UserRole => role !== 'system')
}

/** The 409 answer's description names the action's own conflict codes beside invalid_transition. */
function withConflicts(responses: Record<number, unknown>, conflicts: ProblemCode[] | undefined): Record<number, unknown> {
  if (!conflicts) return responses
  const conflict = responses[409] as { description: string }
  return { ...responses, 409: { ...conflict, description: `Conflict with the current state (invalid_transition, ${conflicts.join(', ')})` } }
}

export interface ComplaintRoutesOptions {
  service: ComplaintService
  defaultPhoneCountry?: string
}

function sendComplaint(reply: FastifyReply, record: ComplaintRecord, view: ReturnType<typeof presentComplaint>) {
  reply.header('etag', etag(record.complaint.version))
  return view
}

/** 304 (RFC 9110 15.4.5): no body, the ETag repeated. */
function notModified(reply: FastifyReply, tag: string) {
  return reply.code(304).header('etag', tag).send()
}

const notModifiedResponse = (what: string) => ({
  type: 'null',
  description: `If-None-Match holds the ${what}'s current ETag (or is *): no body`,
  headers: { etag: { type: 'string', description: `the ${what}'s current ETag` } },
})

const complaintRoutes: FastifyPluginAsyncTypebox<ComplaintRoutesOptions> = async (app, { service, defaultPhoneCountry }) => {
  const complaintResponse = (description: string, schema = 'Complaint', headers: Record<string, object> = {}) => ({
    description,
    headers: { etag: { type: 'string', description: 'the complaint version, "<version>"' }, ...headers },
    content: { 'application/json': { schema: Type.Ref(schema) } },
  })

  app.post('/v1/complaints', {
    config: { roles: STAFF },
    schema: {
      tags: ['complaints'],
      operationId: 'createComplaint',
      summary: 'Log a complaint from a call or a visit',
      description: 'Agents and supervisors. The customer is found by any identity (external id, phone, email) or created; the complaint starts in `logged` with its promised response time (`promisedBy`, or the SLA policy\'s). Send an `Idempotency-Key` to retry safely. The answer lists the open incidents the complaint may belong to.',
      headers: CreateHeaders,
      body: CreateComplaintBody,
      response: {
        200: complaintResponse('An earlier request with this Idempotency-Key (Idempotent-Replayed: true)', 'Complaint', { location: LOCATION_HEADER, 'idempotent-replayed': REPLAYED_HEADER }),
        201: complaintResponse('The complaint, in logged, with the open incidents it may belong to', 'IntakeComplaint', { location: LOCATION_HEADER }),
        ...problemResponses(413, 415, 422),
      },
    },
  }, async (request, reply) => {
    const { record, replayed, suggestedIncidents } = await service.create(request.user, request.body, request.headers['idempotency-key'])
    reply.status(replayed ? 200 : 201).header('location', `/v1/complaints/${record.complaint.id}`)
    if (replayed) reply.header('idempotent-replayed', 'true')
    return sendComplaint(reply, record, withSuggestions(presentComplaint(record, request.user), suggestedIncidents))
  })

  app.get('/v1/complaints', {
    config: { roles: READERS },
    schema: {
      tags: ['complaints'],
      operationId: 'listComplaints',
      summary: 'List complaints, newest first (with q: most relevant first; sort: another order)',
      description: 'Any role; an integration sees only the complaints it sent. Filters combine (and). `q` searches the summary, description, notes, customer name and reference, Chinese and English (docs/search.md). `sort` orders by createdAt, updatedAt or promisedBy (a leading - for descending, nulls last); `createdFrom`/`createdTo`/`updatedSince` bound the dates (an incremental feed: poll with updatedSince and sort=updatedAt). Keyset-paginated: pass `nextCursor` as `cursor` (docs/api-conventions.md). `If-None-Match` with the page\'s ETag answers 304.',
      querystring: ListQuery,
      headers: ReadHeaders,
      response: {
        200: {
          ...json(Type.Object({ items: Type.Array(Type.Ref('Complaint')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 'A page of complaints'),
          headers: { etag: { type: 'string', description: "weak: the page's complaints (ids and versions), their customers, the next cursor and the caller" } },
        },
        304: notModifiedResponse('page'),
        ...problemResponses(),
      },
    },
  }, async (request, reply) => {
    const page = await listComplaints(app.db, request.user, request.query, defaultPhoneCountry)
    const tag = pageEtag(request.user, page.items, page.nextCursor)
    if (noneMatch(request.headers['if-none-match'], tag)) return notModified(reply, tag)
    reply.header('etag', tag)
    return { items: page.items.map((r) => presentComplaint(r, request.user)), nextCursor: page.nextCursor }
  })

  app.get('/v1/complaints/:id', {
    config: { roles: READERS },
    schema: {
      tags: ['complaints'],
      operationId: 'getComplaint',
      summary: 'One complaint, with the actions the caller may take',
      description: 'Any role; an integration only its own complaints (404 otherwise). `actions` are those the machine allows now and the caller\'s role may take. The ETag is the version to send back in `If-Match`.',
      params: IdParams,
      headers: ReadHeaders,
      response: { 200: complaintResponse('The complaint'), 304: notModifiedResponse('complaint'), ...problemResponses('not_found') },
    },
  }, async (request, reply) => {
    const record = await service.get(request.user, request.params.id)
    if (noneMatch(request.headers['if-none-match'], etag(record.complaint.version))) return notModified(reply, etag(record.complaint.version))
    return sendComplaint(reply, record, presentComplaint(record, request.user))
  })

  app.get('/v1/complaints/:id/events', {
    config: { roles: READERS },
    schema: {
      tags: ['complaints'],
      operationId: 'listComplaintEvents',
      summary: 'The append-only history of the complaint, oldest first',
      description: 'Keyset-paginated on seq: pass `nextCursor` as `cursor` (docs/api-conventions.md).',
      params: IdParams,
      querystring: EventsQuery,
      response: { 200: json(pageOf(ComplaintEvent), 'A page of the history, oldest first'), ...problemResponses('not_found') },
    },
  }, async (request) => service.history(request.user, request.params.id, request.query))

  for (const [name, action] of Object.entries(ACTION_ROUTES) as [ActionName, ActionRoute][]) {
    app.post(`/v1/complaints/:id/${name}`, {
      config: { roles: actionRoles(name) },
      // Actions without fields may be posted without a body.
      preValidation: async (request) => {
        request.body ??= {}
      },
      schema: {
        operationId: action.operationId,
        tags: ['complaints'],
        summary: action.summary,
        description: ACTION_DESCRIPTIONS[action.operationId],
        params: IdParams,
        headers: ActionHeaders,
        body: action.body,
        response: {
          200: complaintResponse(action.answer ?? 'The updated complaint'),
          ...withConflicts(problemResponses('not_found', 'invalid_transition', 'version_conflict', 413, 415), action.conflicts),
        },
      },
    }, async (request, reply) => {
      const { id } = request.params
      const ifMatch = request.headers['if-match']
      const build = action.build
      const record = build
        ? await service.act(request.user, id, ifMatch, (actor) => build(actor, request.body as never, request.user))
        : await service.merge(request.user, id, ifMatch, request.body as Static<typeof MergeBody>)
      return sendComplaint(reply, record, presentComplaint(record, request.user))
    })
  }
}

export default complaintRoutes

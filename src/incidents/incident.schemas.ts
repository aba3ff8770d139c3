import Type from 'typebox'
import { Complaint, ResolveBody } from '../complaints/complaint.schemas.js'
import { pagingQuery } from '../http/paging.js'
import { DateTime, Nullable, Uuid } from '../http/schemas.js'

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max })

export const CreateIncidentBody = Type.Object(
  {
    title: Text(200),
    category: Type.Optional(Text(100)),
    product: Type.Optional(Text(200)),
    region: Type.Optional(Text(100)),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  {
    additionalProperties: false,
    examples: [{
      title: '华东仓发货延迟',
      category: 'delivery',
      region: 'east',
      description: 'The Hangzhou warehouse shipped nothing on 27 November: every order of that day is two days late.',
    }],
  },
)

export const IncidentState = Type.Union([Type.Literal('open'), Type.Literal('resolved')])

export const Incident = Type.Object(
  {
    id: Uuid,
    reference: Type.String({ examples: ['I-20261128-0001'] }),
    title: Type.String(),
    category: Nullable(Type.String()),
    product: Nullable(Type.String()),
    region: Nullable(Type.String()),
    description: Nullable(Type.String()),
    state: IncidentState,
    complaintCount: Type.Integer({ minimum: 0, description: 'complaints linked to it' }),
    openCount: Type.Integer({ minimum: 0, description: 'of those, open (received, logged, escalated)' }),
    resolution: Nullable(
      Type.Object(
        {
          summary: Type.String(),
          compensation: Nullable(Type.Object({ kind: Type.String(), amount: Nullable(Type.Number()), currency: Nullable(Type.String()) })),
          resolvedBy: Nullable(Uuid),
          requestedAt: DateTime,
        },
        { additionalProperties: false },
      ),
      'the last resolve asked for; the incident is resolved once none of its complaints is open',
    ),
    createdBy: Nullable(Uuid),
    version: Type.Integer({ minimum: 1, description: 'moves when complaints are linked or unlinked, a resolve is asked for, and it resolves' }),
    createdAt: DateTime,
    resolvedAt: Nullable(DateTime),
  },
  { $id: 'Incident', additionalProperties: false },
)

export const IncidentComplaint = Type.Object(
  { id: Uuid, reference: Type.String(), state: Type.Ref('ComplaintState') },
  { additionalProperties: false },
)

export const IncidentDetail = Type.Object(
  {
    ...Incident.properties,
    complaints: Type.Array(IncidentComplaint, { description: 'every complaint linked to it, oldest first' }),
  },
  { $id: 'IncidentDetail', additionalProperties: false },
)

export const IncidentListQuery = Type.Object(
  { state: Type.Optional(IncidentState), ...pagingQuery(200, 50) },
  { additionalProperties: false },
)

export const IncidentParams = Type.Object({ id: Uuid })
export const IncidentComplaintParams = Type.Object({ id: Uuid, complaintId: Uuid })

export const LinkBody = Type.Object(
  { complaintIds: Type.Array(Uuid, { minItems: 1, maxItems: 200, description: 'open complaints (received, logged, escalated) of any customer' }) },
  { additionalProperties: false, examples: [{ complaintIds: ['6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'] }] },
)

export const IncidentHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'the incident version you saw, as its ETag: "<version>"' })),
})

export const ResolveIncidentBody = ResolveBody

export const ResolveAnswer = Type.Object(
  {
    incident: Type.Ref('IncidentDetail'),
    resolved: Type.Array(Uuid, { description: 'the complaints this request resolved' }),
    skipped: Type.Array(
      Type.Object(
        {
          id: Uuid,
          reference: Type.String(),
          code: Type.String({ description: 'why it was left open: authority_exceeded, forbidden (an escalation above your level), invalid_transition (still received, say)' }),
          detail: Type.String(),
        },
        { additionalProperties: false },
      ),
      { description: 'the open complaints left open, each with the refusal its own resolve would have answered' },
    ),
  },
  { additionalProperties: false },
)

export const SuggestedIncident = Type.Object(
  { id: Uuid, title: Type.String(), score: Type.Number({ minimum: 0, maximum: 1 }) },
  { additionalProperties: false },
)

/** The intake's answer: the complaint, and the open incidents it may belong to (docs/incidents.md). */
export const IntakeComplaint = Type.Object(
  {
    ...Complaint.properties,
    suggestedIncidents: Type.Array(SuggestedIncident, {
      description: 'open incidents active within 72 hours whose category, product or region match, or whose text is alike; highest score first',
    }),
  },
  { $id: 'IntakeComplaint', additionalProperties: false },
)

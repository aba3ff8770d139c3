import Type from 'typebox'
import { Customer } from '../complaints/complaint.schemas.js'
import { DateTime, Nullable, Uuid } from '../http/schemas.js'
import { LANGUAGES } from '../notifications/kinds.js'

const Language = Type.String({ enum: [...LANGUAGES] })

export const CustomerComplaint = Type.Object(
  { id: Uuid, reference: Type.String(), state: Type.Ref('ComplaintState'), category: Type.String(), createdAt: DateTime },
  { additionalProperties: false },
)

export const CustomerDetail = Type.Object(
  {
    ...Customer.properties,
    language: Nullable(Language, "null: the service's DEFAULT_LANGUAGE"),
    notify: Type.Boolean({ description: 'false: the customer gets no message at all' }),
    createdAt: DateTime,
    updatedAt: DateTime,
    complaints: Type.Array(CustomerComplaint, {
      maxItems: 50,
      description: "the customer's 50 newest complaints, newest first (an integration: only those it sent)",
    }),
  },
  { $id: 'CustomerDetail', additionalProperties: false },
)

export const UpdateCustomerBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tier: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50 }), 'null clears the tier')),
    language: Type.Optional(Nullable(Language, "null: back to the service's DEFAULT_LANGUAGE")),
    notify: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ tier: 'gold' }, { name: '李伟', language: 'zh-CN', notify: true }] },
)

import Type from 'typebox'
import { pagingQuery } from '../http/paging.js'
import { DateTime, Uuid } from '../http/schemas.js'

export const Role = Type.Union([Type.Literal('agent'), Type.Literal('supervisor'), Type.Literal('admin'), Type.Literal('integration')])
const Level = Type.Integer({ minimum: 1, maximum: 3, description: '1 team lead, 2 manager, 3 director' })
const Money = Type.Number({ minimum: 0, maximum: 999_999_999_999.99, multipleOf: 0.01 })
const Teams = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, uniqueItems: true })

export const User = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    role: Role,
    level: Type.Union([Level, Type.Null()]),
    compensationLimit: Type.Union([Type.Number(), Type.Null()]),
    teams: Type.Array(Type.String()),
    active: Type.Boolean(),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'User', additionalProperties: false },
)

export const Me = Type.Object(
  {
    ...User.properties,
    timezone: Type.String({ description: "the SLA policy's calendar zone (IANA): the zone the hotline writes times in", examples: ['Asia/Shanghai'] }),
  },
  { additionalProperties: false },
)

export const CreatedUser = Type.Object(
  {
    ...User.properties,
    token: Type.String({ description: 'shown once; only its hash is stored' }),
    webhookSecret: Type.Optional(Type.String({ description: 'integrations only: Standard Webhooks secret (whsec_...)' })),
  },
  { additionalProperties: false },
)

export const CreateUserBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Role,
    level: Type.Optional(Level),
    compensationLimit: Type.Optional(Money),
    teams: Type.Optional(Teams),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'Ann Agent', role: 'agent', compensationLimit: 50, teams: ['east'] },
      { name: '张伟', role: 'supervisor', level: 1, compensationLimit: 500, teams: ['east'] },
      { name: 'Web shop', role: 'integration' },
    ],
  },
)

export const UpdateUserBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    active: Type.Optional(Type.Boolean()),
    level: Type.Optional(Level),
    compensationLimit: Type.Optional(Money),
    teams: Type.Optional(Teams),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ compensationLimit: 100 }, { active: false }] },
)

export const ListUsersQuery = Type.Object(
  { role: Type.Optional(Role), active: Type.Optional(Type.Boolean()), ...pagingQuery(200, 50) },
  { additionalProperties: false },
)

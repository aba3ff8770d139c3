import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { CustomerRow } from '../db/tables.js'
import { problems } from '../http/problem.js'
import { IdParams, json, problemResponses } from '../http/schemas.js'
import { presentCustomerFields } from './customer.view.js'
import { findCustomerDetail, updateCustomer } from './customers.repository.js'
import { CustomerDetail, UpdateCustomerBody } from './customers.schemas.js'

interface ComplaintSummary { id: string; reference: string; state: string; category: string; createdAt: Date }

function presentCustomer(customer: CustomerRow, complaints: ComplaintSummary[]) {
  return {
    ...presentCustomerFields(customer),
    createdAt: customer.createdAt.toISOString(),
    updatedAt: customer.updatedAt.toISOString(),
    complaints: complaints.map((c) => ({ id: c.id, reference: c.reference, state: c.state, category: c.category, createdAt: c.createdAt.toISOString() })),
  }
}

/** GET and PATCH /v1/customers/{id} (docs/customers.md). */
const customerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(CustomerDetail)
  const detail = (description: string) => json(Type.Ref('CustomerDetail'), description)
  app.get('/v1/customers/:id', {
    config: { roles: ['agent', 'supervisor', 'admin', 'integration'] },
    schema: {
      tags: ['customers'],
      operationId: 'getCustomer',
      summary: 'A customer, with its 50 newest complaints',
      description: 'An integration may read only the customers of complaints it sent (any other: 404), and sees only those complaints.',
      params: IdParams,
      response: { 200: detail('The customer'), ...problemResponses('not_found') },
    },
  }, async (request) => {
    const user = request.user
    const found = await findCustomerDetail(app.db, request.params.id, user.role === 'integration' ? user.id : null)
    if (!found) throw problems.notFound('customer')
    return presentCustomer(found.customer, found.complaints)
  })

  app.patch('/v1/customers/:id', {
    config: { roles: ['supervisor', 'admin'] },
    schema: {
      tags: ['customers'],
      operationId: 'updateCustomer',
      summary: "Change a customer's name, tier (null clears it), language or notify",
      description: 'The only way besides an integration\'s intake to change a tier; it applies to complaints received ' +
        'afterwards (open complaints keep the deadlines already promised).',
      params: IdParams,
      body: UpdateCustomerBody,
      response: { 200: detail('The updated customer'), ...problemResponses('not_found', 413, 415) },
    },
  }, async (request) => {
    const row = await updateCustomer(app.db, request.params.id, request.body)
    if (!row) throw problems.notFound('customer')
    const found = await findCustomerDetail(app.db, row.id, null)
    return presentCustomer(row, found?.complaints ?? [])
  })
}

export default customerRoutes

import type { CustomerRow } from '../db/tables.js'

type CustomerFields = Pick<CustomerRow, 'id' | 'name' | 'phone' | 'email' | 'externalId' | 'tier' | 'language' | 'notify'>

/** The customer as the API shows it, inside a complaint and on its own (GET /v1/customers/{id}). */
export function presentCustomerFields(customer: CustomerFields) {
  const { id, name, phone, email, externalId, tier, language, notify } = customer
  return { id, name, phone, email, externalId, tier, language, notify }
}

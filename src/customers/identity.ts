import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'
import type { Static } from 'typebox'
import type { CustomerInput as CustomerInputSchema } from '../complaints/complaint.schemas.js'
import { problems, type FieldError } from '../http/problem.js'

/** The customer as an intake names them: the schema's type (complaint.schemas.ts), not a second list of fields. */
export type CustomerInput = Static<typeof CustomerInputSchema>

export interface CustomerIdentity {
  name: string | null
  phone: string | null
  email: string | null
  externalId: string | null
  tier: string | null
  /** Preferences: given, they replace the customer's (undefined: keep what the customer has). */
  language?: string
  notify?: boolean
}

/** Phone to E.164, email lower-cased: one person, one identity, however an agent typed it. */
export function normalisePhone(raw: string, defaultCountry?: string): string | null {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry as CountryCode | undefined)
  return parsed?.isValid() ? parsed.number : null
}

export function normaliseCustomer(input: CustomerInput, defaultCountry: string | undefined, field = 'body.customer'): CustomerIdentity {
  const errors: FieldError[] = []
  let phone: string | null = null
  if (input.phone !== undefined) {
    phone = normalisePhone(input.phone, defaultCountry)
    if (!phone) {
      errors.push({
        field: `${field}.phone`,
        message: defaultCountry
          ? 'is not a valid phone number'
          : 'is not a valid phone number in international format (+<country code><number>)',
      })
    }
  }
  const email = input.email?.trim().toLowerCase() || null
  const externalId = input.externalId?.trim() || null
  if (input.phone === undefined && !email && !externalId) {
    errors.push({ field, message: 'needs at least one of phone, email, externalId' })
  }
  if (errors.length > 0) throw problems.validation(errors)
  return {
    name: input.name?.trim() || null, phone, email, externalId, tier: input.tier ?? null,
    ...(input.language === undefined ? {} : { language: input.language }),
    ...(input.notify === undefined ? {} : { notify: input.notify }),
  }
}

/**
 * The tier rule (docs/customers.md): a tier buys a faster SLA, so only an integration's intake (a system of record
 * speaking for the customer) or a supervisor's PATCH /v1/customers/{id} sets it. An agent's or supervisor's intake
 * never does, not even for a new customer: the tier it names is ignored.
 */
export function intakeIdentity(identity: CustomerIdentity, role: string): CustomerIdentity {
  return role === 'integration' ? identity : { ...identity, tier: null }
}

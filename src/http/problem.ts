export type ProblemCode =
  | 'unauthorized'
  | 'forbidden'
  | 'authority_exceeded'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_transition'
  | 'version_conflict'
  | 'precondition_required'
  | 'validation_failed'
  | 'invalid_json'
  | 'idempotency_mismatch'
  | 'idempotency_in_progress'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_acceptable'
  | 'rate_limited'
  | 'invalid_signature'
  | 'conflict'
  | 'service_unavailable'
  | 'internal_error'
  | 'uri_too_long'
  | 'request_timeout'
  | 'headers_too_large'
  | 'bad_request'
  | 'merge_customer_mismatch'
  | 'extension_pending'
  | 'no_pending_extension'
  | 'send_back_window_passed'
  | 'reopen_window_passed'
  | 'complaint_closed'
  | 'already_linked'
  | 'incident_resolved'

export const TITLES: Record<ProblemCode, [status: number, title: string]> = {
  unauthorized: [401, 'Unauthorized'],
  forbidden: [403, 'Forbidden'],
  authority_exceeded: [403, 'Authority exceeded'],
  not_found: [404, 'Not found'],
  method_not_allowed: [405, 'Method not allowed'],
  invalid_transition: [409, 'Invalid transition'],
  conflict: [409, 'Conflict'],
  idempotency_in_progress: [409, 'Request with this idempotency key is in progress'],
  version_conflict: [412, 'Version conflict'],
  precondition_required: [428, 'Precondition required'],
  validation_failed: [400, 'Validation failed'],
  invalid_json: [400, 'Malformed JSON body'],
  idempotency_mismatch: [422, 'Idempotency key reused with another request'],
  payload_too_large: [413, 'Payload too large'],
  unsupported_media_type: [415, 'Unsupported media type'],
  not_acceptable: [406, 'Not acceptable'],
  rate_limited: [429, 'Too many requests'],
  invalid_signature: [401, 'Invalid signature'],
  service_unavailable: [503, 'Service unavailable'],
  internal_error: [500, 'Internal server error'],
  // Answered by the HTTP layer before any route runs (see errors.plugin.ts).
  uri_too_long: [414, 'URI too long'],
  request_timeout: [408, 'Request timeout'],
  headers_too_large: [431, 'Request header fields too large'],
  bad_request: [400, 'Malformed HTTP request'],
  merge_customer_mismatch: [409, 'Complaints of different customers'],
  extension_pending: [409, 'An extension request is already pending'],
  no_pending_extension: [409, 'No extension request is pending'],
  send_back_window_passed: [409, 'Too late to send the transfer back'],
  reopen_window_passed: [409, 'Too late to reopen the complaint'],
  complaint_closed: [409, 'The complaint is not open'],
  already_linked: [409, 'The complaint is linked to another incident'],
  incident_resolved: [409, 'The incident is resolved'],
}

export interface FieldError {
  field: string
  message: string
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  instance?: string
  [extension: string]: unknown
}

/** An error a client can switch on: `code` is stable, `detail` is for people. */
export class Problem extends Error {
  readonly status: number
  readonly title: string
  constructor(
    readonly code: ProblemCode,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail)
    const [status, title] = TITLES[code]
    this.status = status
    this.title = title
  }

  body(instance?: string): ProblemBody {
    return {
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    }
  }
}

/**
 * A relative reference (RFC 9457 3.1.1): it resolves against the request's own URL to the page this server serves
 * for the code (src/http/problem-pages.ts), wherever Hotline is deployed.
 */
export function problemType(code: ProblemCode): string {
  return `/problems/${code}`
}

export function statusOf(code: ProblemCode): number {
  return TITLES[code][0]
}

/** A validation answer lists at most this many field errors, and says how many more there were. */
export const MAX_FIELD_ERRORS = 20

export const problems = {
  notFound: (what: string) => new Problem('not_found', `${what} was not found`),
  forbidden: (detail = 'your role may not do this') => new Problem('forbidden', detail),
  validation: (errors: FieldError[], detail = 'the request does not match the schema') =>
    new Problem('validation_failed', detail, {
      errors: errors.slice(0, MAX_FIELD_ERRORS),
      ...(errors.length > MAX_FIELD_ERRORS ? { moreErrors: errors.length - MAX_FIELD_ERRORS } : {}),
    }),
}

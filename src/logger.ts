import pino, { type DestinationStream, type Logger } from 'pino'

// Tokens, stream tickets, secrets and customers' contact details never reach the logs.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["webhook-signature"]',
  'token',
  '*.token',
  'webhookSecret',
  '*.webhookSecret',
  'phone',
  '*.phone',
  '*.*.phone',
  'email',
  '*.email',
  '*.*.email',
  // A message to a customer's address (src/notifications): logged by id, never by address.
  'to',
  '*.to',
  'recipient',
  '*.recipient',
  // Postgres errors carry the offending row in `detail` ("Key (phone)=(+86...) already exists") and Kysely/pg may
  // attach the query parameters: both can hold customers' contact details.
  'err.detail',
  'err.parameters',
  'err.parameters[*]',
]

const SENSITIVE_QUERY = /([?&](?:customerPhone|q|ticket)=)[^&]*/g

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method: string; url: string; id?: string }) => ({
          method: req.method,
          url: req.url.replace(SENSITIVE_QUERY, '$1[redacted]'),
        }),
      },
    },
    destination,
  )
}

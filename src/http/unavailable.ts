import { Problem } from './problem.js'

/** Seconds a client is told to wait (`Retry-After`) when Postgres is away: about one restart of it. */
export const RETRY_AFTER_SECONDS = 5

// Node socket errors met while connecting to or talking with Postgres.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
// Postgres SQLSTATEs that mean "the server is going away or not there yet", not "your statement is wrong":
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections; class 08 is
// connection exceptions.
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])
// node-postgres and pg-pool report a lost or never-made connection with plain Errors that carry no code.
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  // A statement this connection prepared before a migration changed its result columns (src/db/prepared.ts): the
  // connection is dropped, and a retry runs on a fresh one.
  /^cached plan must not change result type$/,
  // Its prepared statement gone (26000: a pooler or DISCARD ALL dropped it): the connection is dropped too.
  /^prepared statement "[^"]*" does not exist$/,
]

/** Whether an error means that Postgres could not be reached (a retry later may succeed), not that a request was bad. */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 3) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true
  if (MESSAGES.some((pattern) => pattern.test(error.message))) return true
  // Node's happy-eyeballs connect (::1 and 127.0.0.1) fails with an AggregateError of each attempt's error.
  if (error instanceof AggregateError && error.errors.some((e) => isUnavailable(e, depth + 1))) return true
  return error.cause !== undefined && isUnavailable(error.cause, depth + 1)
}

/** The answer to a request that needed Postgres while it was away. */
export function unavailableProblem(): Problem {
  return new Problem('service_unavailable', 'the database is unreachable; retry shortly')
}

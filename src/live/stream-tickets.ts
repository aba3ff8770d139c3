import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'

/** How long a ticket may be redeemed after it is issued. */
export const STREAM_TICKET_TTL_MS = 60_000

export interface IssuedTicket {
  ticket: string
  expiresAt: Date
}

/**
 * Single-use credentials for the event streams (`?ticket=`): a browser's EventSource cannot send an Authorization
 * header, and a long-lived token must never travel in a URL (URLs end up in logs, history and proxies).
 *
 * Kept in Redis, not in this process: the browser may reach any API process behind the load balancer for the stream
 * it opens, and Redis is the store every process shares. `SET ... EX` lets Redis forget an unused ticket by itself,
 * and `GETDEL` takes one atomically, so two processes racing for the same ticket cannot both redeem it. Only the
 * ticket's hash is the key, as only a token's hash is stored in Postgres. The value also carries the expiry instant,
 * checked against the app's clock, so tests move time instead of sleeping (Redis' own TTL is the clean-up).
 */
export class StreamTickets {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private key(ticket: string): string {
    return `${this.prefix}:stream-ticket:${createHash('sha256').update(ticket, 'utf8').digest('hex')}`
  }

  async issue(userId: string): Promise<IssuedTicket> {
    const ticket = `stk_${randomBytes(32).toString('base64url')}`
    const expiresAt = new Date(this.clock().getTime() + STREAM_TICKET_TTL_MS)
    await this.redis.set(this.key(ticket), `${userId} ${expiresAt.getTime()}`, 'EX', Math.ceil(STREAM_TICKET_TTL_MS / 1000))
    return { ticket, expiresAt }
  }

  /** The user the ticket was issued to, taking the ticket (it works once); null if unknown, used or expired. */
  async redeem(ticket: string): Promise<string | null> {
    if (!/^stk_[\w-]{43}$/.test(ticket)) return null
    const value = await this.redis.getdel(this.key(ticket))
    if (!value) return null
    const [userId, expires] = value.split(' ')
    if (!userId || !(Number(expires) > this.clock().getTime())) return null
    return userId
  }
}

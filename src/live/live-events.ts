import type { Redis } from 'ioredis'
import type { Logger } from 'pino'

import type { Audience, FeedMessage } from './feed.js'

/** What supervisors connected to any API process hear about, as it happens. */
export interface LiveEvent {
  type: string
  complaintId: string
  reference: string
  state: string
  level: number | null
  assigneeId: string | null
  at: string
  /** The event's id: its history row (src/live/feed.ts) and its place among the row's announcements. */
  id?: string
}

/** What a live event says of its complaint: the live push (after commit) and the stream's replay build it alike. */
export function liveEventOf(
  type: string,
  complaintId: string,
  complaint: { reference: string; state: string; escalation: { level: number; assigneeId: string | null } | null; assigneeId: string | null },
  at: string,
  id: string,
): LiveEvent {
  return {
    type, complaintId, reference: complaint.reference, state: complaint.state, level: complaint.escalation?.level ?? null,
    assigneeId: complaint.escalation?.assigneeId ?? complaint.assigneeId, at, id,
  }
}

/** An event of the agent's feed, for the people its audience names (src/live/feed.ts). */
export interface FeedEvent {
  feed: FeedMessage
  audience: Audience
}

export type Published = LiveEvent | FeedEvent

export const isFeedEvent = (event: Published): event is FeedEvent => 'feed' in event

export function liveChannel(prefix: string): string {
  return `${prefix}:live`
}

/** Publishes on Redis pub/sub: live pushes are a convenience; the inbox in Postgres is the record. */
export class LivePublisher {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {}

  async publish(events: Published[]): Promise<void> {
    if (events.length === 0) return
    try {
      const pipeline = this.redis.pipeline()
      for (const event of events) pipeline.publish(liveChannel(this.prefix), JSON.stringify(event))
      await pipeline.exec()
    } catch (error) {
      this.logger?.warn({ err: error }, 'could not publish live events')
    }
  }
}

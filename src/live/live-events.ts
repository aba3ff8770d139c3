import type { Redis } from 'ioredis'
import type { Logger } from 'pino'

/** What supervisors connected to any API process hear about, as it happens. */
export interface LiveEvent {
  type: string
  complaintId: string
  reference: string
  state: string
  level: number | null
  assigneeId: string | null
  at: string
}

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

  async publish(events: LiveEvent[]): Promise<void> {
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

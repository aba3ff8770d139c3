import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { liveChannel, type Published } from './live-events.js'

type Listener = (event: Published) => void

/** One Redis subscription per API process, fanned out to the streams connected to it. */
export class LiveHub {
  private readonly listeners = new Set<Listener>()
  private subscriber: Redis | undefined
  private subscribing: Promise<unknown> | undefined

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async add(listener: Listener): Promise<() => void> {
    this.listeners.add(listener)
    await this.ensureSubscribed()
    return () => this.listeners.delete(listener)
  }

  get size(): number {
    return this.listeners.size
  }

  private ensureSubscribed(): Promise<unknown> {
    if (!this.subscribing) {
      // A subscriber connection queues while Redis is away and resubscribes when it is back.
      const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null })
      subscriber.on('error', (error: Error) => this.logger.warn({ err: error }, 'live subscriber problem'))
      subscriber.on('message', (_channel: string, message: string) => {
        let event: Published
        try {
          event = JSON.parse(message) as Published
        } catch {
          return
        }
        for (const listener of this.listeners) listener(event)
      })
      this.subscriber = subscriber
      this.subscribing = subscriber.subscribe(liveChannel(this.prefix))
    }
    return this.subscribing
  }

  async close(): Promise<void> {
    this.listeners.clear()
    if (this.subscriber) {
      this.subscriber.disconnect()
      this.subscriber = undefined
      this.subscribing = undefined
    }
  }
}

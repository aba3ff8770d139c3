import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'

const HEARTBEAT_MS = 15_000

/** One Server-Sent Events stream: `id:` (when given), `event:` and a JSON `data:` line per message. */
export interface EventStream {
  send(type: string, data: unknown, id?: string): void
  comment(text: string): void
}

/** The streams open in this process, ended before the server closes (they would keep it from closing). */
export class OpenStreams {
  private readonly streams = new Set<ServerResponse>()

  /**
   * Takes the response over as an event stream; `onClose` runs when the client goes. Heartbeat comments keep proxies
   * from closing an idle stream.
   */
  open(request: FastifyRequest, reply: FastifyReply, onClose: () => void): EventStream {
    reply.hijack()
    const raw: ServerResponse = reply.raw
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-request-id': request.id,
    })
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS)
    this.streams.add(raw)
    raw.on('close', () => {
      clearInterval(heartbeat)
      this.streams.delete(raw)
      onClose()
    })
    return {
      send: (type, data, id) => {
        raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`)
      },
      comment: (text) => {
        raw.write(`: ${text}\n\n`)
      },
    }
  }

  endAll(): void {
    for (const stream of this.streams) stream.end()
  }
}

/** The `Last-Event-ID` a reconnecting client sends (the header, or `lastEventId` for clients that cannot set it). */
export function lastEventIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id']
  const value = Array.isArray(header) ? header[0] : header
  return value && value.length > 0 ? value : undefined
}

/**
 * Subscribes, then replays what a reconnecting client missed (live events that arrive meanwhile wait, and go out
 * unless the replay sent them), then says `: connected`: from there on the client misses nothing published.
 */
export async function liveAfterReplay<E extends { id?: string | undefined }>(options: {
  stream: EventStream
  subscribe: (deliver: (event: E) => void) => Promise<void>
  replay: (() => Promise<E[]>) | undefined
  send: (event: E) => void
}): Promise<void> {
  const { stream, replay, send } = options
  let held: E[] | undefined = replay ? [] : undefined
  await options.subscribe((event) => {
    if (held) held.push(event)
    else send(event)
  })
  if (replay) {
    const replayed = await replay()
    const sent = new Set(replayed.map((event) => event.id))
    for (const event of replayed) send(event)
    for (const event of held ?? []) if (!sent.has(event.id)) send(event)
    held = undefined
  }
  stream.comment('connected')
}

import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import Type from 'typebox'
import { problems } from '../http/problem.js'

const HEARTBEAT_MS = 15_000
/** The `retry:` advice a stream opens with: how long a client waits before reconnecting (milliseconds). */
export const RETRY_MS = 3_000

/** One Server-Sent Events stream: `id:` (when given), `event:` and a JSON `data:` line per message. */
export interface EventStream {
  send(type: string, data: unknown, id?: string): void
  comment(text: string): void
  /** `retry:` advice: how long a client waits before it reconnects. */
  retry(ms: number): void
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
      retry: (ms) => {
        raw.write(`retry: ${ms}\n\n`)
      },
    }
  }

  endAll(): void {
    for (const stream of this.streams) stream.end()
  }
}

/**
 * The `Last-Event-ID` a reconnecting client sends (the header, or `lastEventId` for clients that cannot set it), read
 * with `parse`: undefined when none was sent; a value `parse` refuses is a 400 naming where it came from.
 */
export function lastEventIdOf<T>(request: FastifyRequest, parse: (id: string) => T | null): T | undefined {
  const header = request.headers['last-event-id']
  const fromHeader = Array.isArray(header) ? header[0] : header
  const value = fromHeader || (request.query as { lastEventId?: string } | undefined)?.lastEventId
  if (!value) return undefined
  const parsed = parse(value)
  if (parsed === null) {
    const field = fromHeader ? 'headers.last-event-id' : 'querystring.lastEventId'
    throw problems.validation([{ field, message: 'is not an event id this stream gave out' }])
  }
  return parsed
}

/** How a stream says it takes a ticket (its description in the API document). */
export const TICKET_NOTE = 'A browser opens it with `?ticket=` (POST /v1/stream-tickets: single use, 60 s) instead of the ' +
  'Authorization header, and `?lastEventId=` instead of the Last-Event-ID header. The stream starts with `retry: 3000`; ' +
  'a client that opened it with a ticket takes a new ticket before it reconnects.'

/** A stream is opened with a token, or with a stream ticket instead (the document's security requirement). */
/** The header EventSource sends on reconnecting; both streams replay what followed it. */
export const LastEventIdHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 200, description: 'the id of the last message received: replay what followed it (EventSource sends it on reconnecting)' })),
})

/** A stream's 200: text/event-stream, described. */
export const eventStreamResponse = (description: string) => ({ description, content: { 'text/event-stream': { schema: Type.String() } } })

export const streamSecurity = (): Record<string, string[]>[] => [{ bearer: [] }, { streamTicket: [] }]

/** What a stream's query string takes: a stream ticket (src/live/stream-tickets.ts) and the last event id. */
export const StreamQuery = Type.Object(
  {
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'a stream ticket (POST /v1/stream-tickets) instead of the Authorization header; works once' })),
    lastEventId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'as the Last-Event-ID header, for clients that cannot set it (the header wins)' })),
  },
  { additionalProperties: false },
)

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
  // The first bytes, so the response's headers too, leave only now: a client told the stream is open (EventSource's
  // `open`) is already subscribed. A browser reconnects by itself after this long; one that opened the stream with a
  // ticket takes a new ticket first.
  stream.retry(RETRY_MS)
  if (replay) {
    const replayed = await replay()
    const sent = new Set(replayed.map((event) => event.id))
    for (const event of replayed) send(event)
    for (const event of held ?? []) if (!sent.has(event.id)) send(event)
    held = undefined
  }
  stream.comment('connected')
}

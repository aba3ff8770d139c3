/** One Server-Sent Events message as a test reads it. */
export interface SseMessage {
  id: string | undefined
  event: string
  data: Record<string, unknown>
}

/**
 * Reads a stream's messages until `done` says stop (or the timeout cancels it); `onComment` hears comments such as
 * `connected`. The caller's fetch response is consumed.
 */
export async function readSse(
  response: Response,
  done: (messages: SseMessage[], comments: string[]) => boolean,
  onComment: (text: string) => void = () => {},
  timeoutMs = 15_000,
): Promise<SseMessage[]> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const messages: SseMessage[] = []
  const comments: string[] = []
  let buffer = ''
  const timer = setTimeout(() => void reader.cancel(), timeoutMs)
  try {
    while (!done(messages, comments)) {
      const { value, done: ended } = await reader.read()
      if (ended) break
      buffer += decoder.decode(value, { stream: true })
      let split: number
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split)
        buffer = buffer.slice(split + 2)
        if (block.startsWith(': ')) {
          comments.push(block.slice(2))
          onComment(block.slice(2))
        }
        const event = /^event: (.+)$/m.exec(block)?.[1]
        const data = /^data: (.+)$/m.exec(block)?.[1]
        if (event && data) messages.push({ id: /^id: (.+)$/m.exec(block)?.[1], event, data: JSON.parse(data) })
      }
    }
  } finally {
    clearTimeout(timer)
    await reader.cancel().catch(() => {})
  }
  return messages
}

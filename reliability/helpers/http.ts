// A small loopback HTTP client (Node's fetch, i.e. undici): every request is bounded in time, and a stream
// (Server-Sent Events) is cut after its headers.

export interface Answer {
  status: number
  /** 0 when no answer came: refused connection, reset, or timeout. */
  headers: Headers
  text: string
  json: unknown
  ms: number
  error?: string
}

export interface RequestOptions {
  token?: string | undefined
  /** An object is sent as JSON; a string is sent as is (raw JSON text, or a wrong content). */
  body?: unknown
  headers?: Record<string, string>
  timeoutMs?: number
}

export async function request(base: string, method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const started = performance.now()
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] = 'application/json'
  }
  Object.assign(headers, options.headers ?? {})
  try {
    const response = await fetch(base + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: 'manual',
    })
    let text = ''
    if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) await response.body?.cancel()
    else text = await response.text()
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json, ms: performance.now() - started }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code
    return {
      status: 0, headers: new Headers(), text: '', json: undefined, ms: performance.now() - started,
      error: cause ?? (error instanceof Error ? error.name : String(error)),
    }
  }
}

/** Is this a refusal as the contract wants it: problem+json with a string `code`? */
export function problemCode(answer: Pick<Answer, 'headers' | 'json'>): string | undefined {
  const type = answer.headers.get('content-type') ?? ''
  if (!type.startsWith('application/problem+json')) return undefined
  const code = (answer.json as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && code.length > 0 ? code : undefined
}

import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { AddressRefused, type AddressPolicy } from './address-policy.js'

export interface PostResult {
  statusCode: number | null
  error: string | null
  /** The start of the receiver's answer, for the deliveries list. */
  responseBody: string | null
  durationMs: number
  /** The address policy refused the target (an IP literal, or what the name resolved to): retrying cannot help. */
  refused?: boolean
}

/** How a refusal by the address policy is recorded on the attempt: `address_refused: <why>`. */
export const ADDRESS_REFUSED = 'address_refused'

const KEEP_RESPONSE = 1_024

/**
 * POSTs one webhook: no redirects followed, no connection reuse, the whole exchange bounded by `timeoutMs`, and only
 * to addresses the policy allows (checked on the resolved address that is actually connected to).
 */
export function postWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; policy: AddressPolicy },
): Promise<PostResult> {
  const started = Date.now()
  const done = (result: Omit<PostResult, 'durationMs'>): PostResult => ({ ...result, durationMs: Date.now() - started })
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return Promise.resolve(done({ statusCode: null, error: 'the endpoint URL is invalid', responseBody: null }))
  }
  const refused = options.policy.refusal(url)
  if (refused) return Promise.resolve(done({ statusCode: null, error: `${ADDRESS_REFUSED}: the endpoint URL ${refused}`, responseBody: null, refused: true }))

  return new Promise((resolve) => {
    let settled = false
    const finish = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.destroy()
      resolve(done(result))
    }
    const client = url.protocol === 'https:' ? https : http
    const hostname = url.hostname.replace(/^\[|\]$/g, '')
    const request = client.request(url, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Hotline-Webhooks/1' },
      // An IP literal is connected to directly (its check was refusal() above); a name goes through the guarded lookup.
      ...(isIP(hostname) === 0 ? { lookup: options.policy.lookupFor(hostname) } : {}),
    }, (response) => {
      const chunks: Buffer[] = []
      let kept = 0
      const answer = () => finish({
        statusCode: response.statusCode ?? null,
        error: null,
        responseBody: Buffer.concat(chunks).toString('utf8').slice(0, KEEP_RESPONSE) || null,
      })
      response.on('data', (chunk: Buffer) => {
        if (kept < KEEP_RESPONSE) chunks.push(chunk)
        kept += chunk.length
        if (kept >= KEEP_RESPONSE) answer()
      })
      response.on('end', answer)
      response.on('error', answer)
    })
    const timer = setTimeout(() => finish({ statusCode: null, error: `no answer within ${options.timeoutMs} ms`, responseBody: null }), options.timeoutMs)
    request.on('error', (error) => finish(error instanceof AddressRefused || error.name === 'AddressRefused'
      ? { statusCode: null, error: `${ADDRESS_REFUSED}: ${error.message}`, responseBody: null, refused: true }
      : { statusCode: null, error: error.message || error.name, responseBody: null }))
    request.end(body)
  })
}

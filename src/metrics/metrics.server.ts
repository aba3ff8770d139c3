import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { Problem } from '../http/problem.js'
import type { Metrics } from './metrics.js'

export interface MetricsServer {
  port: number
  close: () => Promise<void>
}

/** A small HTTP server for a process without the API: `GET /metrics` and nothing else. */
export async function serveMetrics(metrics: Metrics, options: { host: string; port: number; logger: Logger }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/problem+json' })
      response.end(JSON.stringify(new Problem('not_found', 'this port serves GET /metrics only').body(path)))
      return
    }
    metrics.text().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
        response.end(request.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'metrics scrape failed')
        response.writeHead(500, { 'content-type': 'application/problem+json' })
        response.end(JSON.stringify(new Problem('internal_error', 'the metrics could not be collected').body(path)))
      },
    )
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  options.logger.info({ host: options.host, port }, 'worker metrics listening')
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

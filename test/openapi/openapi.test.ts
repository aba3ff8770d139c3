import { readFile } from 'node:fs/promises'
import t from 'tap'
import { parse } from 'yaml'
import { setupApp } from '../helpers/app.js'

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

t.test('the committed openapi.yaml is what the server generates', async (t) => {
  const { app } = await setupApp(t)
  const committed = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
  t.same(committed, app.swagger(), 'openapi.yaml is stale: run `npm run openapi` and commit it')
})

t.test('the served document is the same, at /openapi.json', async (t) => {
  const { app, call } = await setupApp(t)
  const served = await call('GET', '/openapi.json', null)
  t.equal(served.statusCode, 200)
  t.same(served.json(), JSON.parse(JSON.stringify(app.swagger())))
  const docs = await call('GET', '/docs', null)
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /text\/html/)
})

t.test('every operation documents its errors as problem+json, and every route is documented', async (t) => {
  const { app } = await setupApp(t)
  const document = app.swagger() as unknown as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>> }
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation) continue
      const label = `${method.toUpperCase()} ${path}`
      t.ok(app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${label} is served`)
      t.ok(operation.responses['500'] || path === '/docs', `${label} documents 500`)
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) t.ok(response.content?.['application/problem+json'], `${label} ${status} is problem+json`)
      }
      if (path.startsWith('/v1/')) {
        t.ok(operation.responses['401'], `${label} documents 401`)
        // The webhook intake authenticates by its Standard Webhooks signature instead of a token.
        if (!path.startsWith('/v1/webhooks/')) t.not(operation.security?.length, 0, `${label} requires a token`)
      }
    }
  }
  const documented = new Set(Object.keys(document.paths))
  for (const route of ['/v1/complaints', '/v1/complaints/{id}', '/v1/complaints/{id}/events', '/v1/users', '/v1/users/{id}',
    '/healthz', '/readyz', '/openapi.json', '/docs']) {
    t.ok(documented.has(route), `${route} is documented`)
  }
  for (const action of ['log', 'resolve', 'escalate', 'acknowledge', 'follow-up', 'withdraw', 'assign', 'notes']) {
    t.ok(documented.has(`/v1/complaints/{id}/${action}`), `${action} is documented`)
  }
})

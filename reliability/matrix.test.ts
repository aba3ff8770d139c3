// Role x route: every operation of openapi.yaml, called by each role and by nobody. The roles each route allows are
// read from the routes themselves (their `config.roles`, collected by an onRoute hook), never from a second list.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { problemCode, request } from './helpers/http.js'
import { fastifyPath, OPERATIONS } from './helpers/openapi.js'
import { served } from './helpers/served.js'

const ROLES = ['admin', 'agent', 'supervisor', 'integration'] as const

t.test('every operation, every role: allowed roles pass authorization, others get 403 forbidden, nobody gets 401', async (t) => {
  const { base, routes, tokens } = await served(t)
  let calls = 0
  const undeclared: string[] = []
  for (const op of OPERATIONS) {
    const route = routes.get(`${op.method} ${fastifyPath(op.path)}`)
    t.ok(route, `${op.operationId}: served by a route (${op.method} ${op.path})`)
    if (!route) continue
    const isPublic = route.public === true || op.declaredPublic
    if (!isPublic && !route.roles) undeclared.push(op.operationId)
    const url = fastifyPath(op.path).replace(/:[A-Za-z]+/g, () => randomUUID())
    const body = ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined
    const call = (token?: string) => {
      calls++
      return request(base, op.method, url, { token, body, timeoutMs: 10_000 })
    }

    const anonymous = await call()
    t.ok(anonymous.status < 500, `${op.operationId} without a token: no 5xx (${anonymous.status})`)
    if (!isPublic) {
      t.same([anonymous.status, problemCode(anonymous)], [401, 'unauthorized'], `${op.operationId} without a token: 401 unauthorized`)
    }
    if (isPublic || !route.roles) continue
    for (const role of ROLES) {
      const answer = await call(tokens[role].token)
      const code = problemCode(answer)
      if (route.roles.includes(role)) {
        t.ok(answer.status !== 401 && answer.status !== 403 && answer.status < 500,
          `${op.operationId} as ${role} (allowed): not refused for its role, no 5xx (${answer.status} ${code ?? ''})`)
      } else {
        t.same([answer.status, code], [403, 'forbidden'], `${op.operationId} as ${role} (not allowed): 403 forbidden`)
      }
    }
  }
  t.same(undeclared, [], 'every operation declares its roles (config.roles) or is deliberately public (config.public or security: [])')
  t.comment(`matrix: ${OPERATIONS.length} operations, ${calls} calls`)
})

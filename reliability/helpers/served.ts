// The real app (test/helpers/app.ts setupApp: a fresh database copied from the migrated template, the shared Redis)
// listening on a loopback port, so that requests go through HTTP as a client's do (raw bodies, any header, streams).
import type { Test } from 'tap'
import { setupApp, type TestApp, type TestUser } from '../../test/helpers/app.js'
import { collectRoutes, type RouteEntry } from './openapi.js'

export interface Served {
  testApp: TestApp
  base: string
  routes: Map<string, RouteEntry>
  tokens: Record<'admin' | 'agent' | 'supervisor' | 'integration', TestUser>
}

export async function served(t: Test): Promise<Served> {
  const routes = collectRoutes()
  const testApp = await setupApp(t, { logLevel: 'silent' })
  const base = await testApp.app.listen({ port: 0, host: '127.0.0.1' })
  const tokens = {
    admin: testApp.admin,
    agent: await testApp.user('agent', { compensationLimit: 100 }),
    supervisor: await testApp.user('supervisor', { level: 3, compensationLimit: 10_000 }),
    integration: await testApp.user('integration'),
  }
  return { testApp, base, routes, tokens }
}

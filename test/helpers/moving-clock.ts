import type { Test } from 'tap'
import { setupApp, type SetupOptions, type TestApp } from './app.js'

/** The test app on a clock the test moves (`advance`), never sleeps: windows and deadlines are crossed at will. */
export async function setupAppAt(t: Test, start: string, options: SetupOptions = {}): Promise<TestApp & { advance: (ms: number) => void }> {
  let now = Date.parse(start)
  const testApp = await setupApp(t, { ...options, clock: () => new Date(now) })
  return { ...testApp, advance: (ms: number) => { now += ms } }
}

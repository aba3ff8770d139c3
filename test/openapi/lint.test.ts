import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

// The committed openapi.yaml through both linters of `npm run lint:openapi`, so the test command checks it too.
// Both run offline: spectral's ruleset is built in, redocly's telemetry is off (redocly.yaml).
const root = path.resolve(import.meta.dirname, '../..')
const run = promisify(execFile)
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name)
const env = { ...process.env, REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }

/** stdout whatever the exit code: both tools answer non-zero when they find something, and say what in their JSON. */
async function output(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args, { cwd: root, env, maxBuffer: 64 * 1024 * 1024 })).stdout
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string }
    if (!failed.stdout) throw error
    return failed.stdout
  }
}

t.test('spectral (spectral:oas) finds nothing in openapi.yaml, not even a hint', async (t) => {
  const findings = JSON.parse(await output(bin('spectral'), ['lint', 'openapi.yaml', '--format', 'json', '--fail-severity', 'hint', '--quiet'])) as
    { code: string; message: string; path: string[] }[]
  t.same(findings.map(({ code, message, path }) => `${code} at ${path.join('.')}: ${message}`), [])
})

t.test('redocly (redocly.yaml) reports no error and no warning in openapi.yaml', async (t) => {
  const report = JSON.parse(await output(bin('redocly'), ['lint', 'openapi.yaml', '--format', 'json'])) as
    { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] }
  t.same(report.problems.map(({ ruleId, message }) => `${ruleId}: ${message}`), [])
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 })
})

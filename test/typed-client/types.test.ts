import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

/** Runs `npm run client:types -- --check` (the generator compares instead of writing); answers its exit code and output. */
function checkGeneratedTypes(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // `env -u`: the generator is not ours to cover, and tap's loader in NODE_OPTIONS would only slow it down.
    const child = spawn('env', ['-u', 'NODE_V8_COVERAGE', '-u', 'NODE_OPTIONS', 'npm', 'run', '--silent', 'client:types', '--', '--check'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

t.test('test/typed-client/hotline-api.d.ts is what openapi-typescript makes of the committed openapi.yaml', async (t) => {
  const { code, output } = await checkGeneratedTypes()
  t.equal(code, 0, `the client types are stale: run \`npm run client:types\` and commit them\n${output}`)
})

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

/**
 * `--import` that runs the project's TypeScript in a child as in the test processes (test/setup/ts-hooks.mjs: the
 * transpiled files cached on disk, Node's synchronous hooks where stable). It loads a child in about half the CPU
 * that tsx took (docs/testing.md).
 */
export const TS_IMPORT = new URL('../setup/ts-register.mjs', import.meta.url).href

/**
 * Runs `node src/cli.ts ...` (TypeScript through TS_IMPORT) outside tap's coverage: tap wraps spawn to gather a
 * child's coverage, which the tests of the CLI's children do not claim, so `env -u` drops the variables that switch
 * coverage on before node starts (env execs node: the pid, and kill(), are node's own).
 */
export function spawnCli(args: string[], options: SpawnOptions & { env: NodeJS.ProcessEnv }): ChildProcess {
  return spawn('env', ['-u', 'NODE_V8_COVERAGE', '-u', 'NODE_OPTIONS', process.execPath, '--import', TS_IMPORT, 'src/cli.ts', ...args], options)
}

/** Runs the CLI to its end with only PATH and `env` in its environment; answers its exit code and output. */
export function runCli(args: string[], env: Record<string, string>, options: { cwd: string; timeout?: number }): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A safety net only: the child exits by itself; a loaded two-core machine can take 30 s to load it.
      timeout: options.timeout ?? 100_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk) => (stdout += chunk))
    child.stderr?.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

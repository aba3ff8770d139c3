import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

/**
 * Runs `node --import tsx src/cli.ts ...` outside tap's coverage: tap wraps spawn to gather a child's
 * coverage, and tsx's transpiled line numbers would corrupt the report, so `env -u` drops the variables
 * that switch coverage on before node starts (env execs node: the pid, and kill(), are node's own).
 */
export function spawnCli(args: string[], options: SpawnOptions & { env: NodeJS.ProcessEnv }): ChildProcess {
  return spawn('env', ['-u', 'NODE_V8_COVERAGE', '-u', 'NODE_OPTIONS', process.execPath, '--import', 'tsx', 'src/cli.ts', ...args], options)
}

/** Runs the CLI to its end with only PATH and `env` in its environment; answers its exit code and output. */
export function runCli(args: string[], env: Record<string, string>, options: { cwd: string; timeout?: number }): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A safety net only: the child exits by itself; a loaded two-core machine can take 30 s to load it through tsx.
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

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

/**
 * Runs `node --import tsx src/cli.ts ...` outside tap's coverage: tap wraps spawn to gather a child's
 * coverage, and tsx's transpiled line numbers would corrupt the report, so `env -u` drops the variables
 * that switch coverage on before node starts (env execs node: the pid, and kill(), are node's own).
 */
export function spawnCli(args: string[], options: SpawnOptions & { env: NodeJS.ProcessEnv }): ChildProcess {
  return spawn('env', ['-u', 'NODE_V8_COVERAGE', '-u', 'NODE_OPTIONS', process.execPath, '--import', 'tsx', 'src/cli.ts', ...args], options)
}

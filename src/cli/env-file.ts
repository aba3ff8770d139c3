import { readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'

/**
 * Reads `.env` (or `HOTLINE_ENV_FILE`) into the environment for local runs: a variable the process environment
 * already has wins, so production settings are never overridden by a file left in the working directory. A missing
 * file is fine; an unreadable one is an error. Answers the names it set.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, path = env.HOTLINE_ENV_FILE ?? '.env'): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && env.HOTLINE_ENV_FILE === undefined) return []
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  const set: string[] = []
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] !== undefined) continue
    env[name] = value
    set.push(name)
  }
  return set
}

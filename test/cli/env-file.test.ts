import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { loadEnvFile } from '../../src/cli/env-file.js'

t.test('.env fills what the environment leaves unset; the process environment wins', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-env-'))
  const file = path.join(dir, '.env')
  writeFileSync(file, '# local settings\nPORT=4000\nLOG_LEVEL=debug\nexport NOTIFY_FROM="Hotline Care <care@example.com>"\n')
  const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' }
  t.same(loadEnvFile(env, file).sort(), ['NOTIFY_FROM', 'PORT'])
  t.same(env, { LOG_LEVEL: 'warn', PORT: '4000', NOTIFY_FROM: 'Hotline Care <care@example.com>' })
})

t.test('no .env is fine; a file named by HOTLINE_ENV_FILE must exist', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hotline-env-'))
  t.same(loadEnvFile({}, path.join(dir, '.env')), [])
  const missing = path.join(dir, 'production.env')
  t.throws(() => loadEnvFile({ HOTLINE_ENV_FILE: missing }), new RegExp(`cannot read ${missing}`))
})

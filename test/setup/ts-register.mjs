// `--import` in each test file's process (.taprc `node-arg`): TypeScript through ts-hooks.mjs (see there why).
import { register } from 'node:module'

register('./ts-hooks.mjs', import.meta.url)

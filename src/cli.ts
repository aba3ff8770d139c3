#!/usr/bin/env node
import { startTracing } from './tracing/boot.js'

// Tracing hooks the modules it instruments as they load, so the app (cli/main.ts and everything it imports) is
// imported only once tracing has started, or found it is off.
await startTracing(process.argv[2])
await import('./cli/main.js')

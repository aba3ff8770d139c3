// Preloaded into the timer benchmark's worker (`--import ./bench/batch-trace.ts`): each timer batch's phases
// (src/timers/fire-timer.ts, BatchTrace) appended as a line of JSON to BENCH_TRACE_FILE, read back by bench/timers.ts.
import { createWriteStream } from 'node:fs'
import { traceBatches } from '../src/timers/fire-timer.js'

const file = process.env.BENCH_TRACE_FILE
if (file) {
  const out = createWriteStream(file, { flags: 'w' })
  out.on('error', () => undefined)
  traceBatches((trace) => out.write(`${JSON.stringify(trace)}\n`))
}

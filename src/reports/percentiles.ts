import os from 'node:os'

// The resolution-time percentiles of a report: the times arrive packed by int4send and are ranked by selection, not
// sorted (a million complaints' times in a few milliseconds).

/** The k-th smallest value (0-based) of values[from..], moving it to index k (Hoare's selection, in place). */
function select(values: Int32Array, k: number, from = 0): number {
  let lo = from
  let hi = values.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    // Median of three as the pivot: sorted or constant runs stay linear.
    const a = values[lo]!
    const b = values[mid]!
    const c = values[hi]!
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b
    let i = lo
    let j = hi
    while (i <= j) {
      while (values[i]! < pivot) i++
      while (values[j]! > pivot) j--
      if (i <= j) {
        const t = values[i]!
        values[i] = values[j]!
        values[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return values[k]!
  }
  return values[k]!
}

/** The smallest value of values[from..]. */
function minFrom(values: Int32Array, from: number): number {
  let min = values[from]!
  for (let i = from + 1; i < values.length; i++) if (values[i]! < min) min = values[i]!
  return min
}

/**
 * percentile_cont for ascending p: linear interpolation between the closest ranks, found by selection (the values
 * are reordered). Equals sorting and reading ranks floor(p(n-1)) and ceil(p(n-1)).
 */
export function percentiles(values: Int32Array, ps: readonly number[]): (number | null)[] {
  const n = values.length
  if (n === 0) return ps.map(() => null)
  let from = 0
  return ps.map((p) => {
    const position = p * (n - 1)
    const lo = Math.floor(position)
    const low = select(values, lo, from)
    // Everything after index lo is >= values[lo]: the next rank is the smallest of them.
    const high = lo + 1 < n && position > lo ? minFrom(values, lo + 1) : low
    from = lo
    return low + (position - lo) * (high - low)
  })
}

const BIG_ENDIAN_HOST = os.endianness() === 'BE'

/** The resolution times packed by int4send (big-endian int4), in no particular order. */
export function unpackSeconds(chunks: (Buffer | null)[]): Int32Array {
  const total = chunks.reduce((n, b) => n + (b ? b.length : 0), 0)
  const values = new Int32Array(total / 4)
  const bytes = new Uint8Array(values.buffer)
  let at = 0
  for (const chunk of chunks) {
    if (!chunk) continue
    bytes.set(chunk, at)
    at += chunk.length
  }
  if (!BIG_ENDIAN_HOST) Buffer.from(values.buffer).swap32()
  return values
}

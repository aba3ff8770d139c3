import { sql } from 'kysely'
import type { Db } from '../db/database.js'

/** How many numbers one `nextval` reserves (the sequence's INCREMENT): one round trip per this many intakes. */
export const REFERENCE_BLOCK = 100

/**
 * Human references, e.g. C-20261122-004217: the day and six digits. The digits come from a Postgres sequence that
 * hands each process a block of REFERENCE_BLOCK numbers at a time (hi/lo): no row every intake updates, no
 * statement in the intake's transaction, unique across processes. Gaps are allowed (a block a process did not use
 * up before it stopped, a rolled-back intake). The digits are the number modulo 1,000,000, so they repeat only
 * after a million numbers: a day's references stay unique below a million intakes that day.
 */
export class ReferenceAllocator {
  private next = 0
  private end = 0
  private refill: Promise<void> | undefined

  constructor(private readonly db: Db) {}

  async reference(now: Date): Promise<string> {
    while (this.next >= this.end) {
      this.refill ??= this.reserve().finally(() => (this.refill = undefined))
      await this.refill
    }
    const n = this.next++
    const day = now.toISOString().slice(0, 10).replaceAll('-', '')
    return `C-${day}-${String(n % 1_000_000).padStart(6, '0')}`
  }

  private async reserve(): Promise<void> {
    const { rows } = await sql<{ n: string }>`select nextval('complaint_reference_seq') as n`.execute(this.db)
    const start = Number(rows[0]!.n)
    this.next = start
    this.end = start + REFERENCE_BLOCK
  }
}

const allocators = new WeakMap<Db, ReferenceAllocator>()

/** The allocator of this database handle (one per process and pool). */
export function referencesFor(db: Db): ReferenceAllocator {
  let allocator = allocators.get(db)
  if (!allocator) allocators.set(db, (allocator = new ReferenceAllocator(db)))
  return allocator
}

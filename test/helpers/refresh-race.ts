import type { Test } from 'tap'
import { createDb, type Db } from '../../src/db/database.js'
import { insertComplaint, insertCustomer, type SeedEvent } from '../reports/fixtures/support.js'
import { createTestDatabase } from './databases.js'

/**
 * Runs `writers` writers to the end while a refresher calls `refresh` back to back; answers how many refreshes ran.
 * For the noted-rows refreshes (report rows, search rows): what commits while a refresh runs must not be lost.
 */
export async function raceWithRefresher(writers: number, write: (writer: number) => Promise<void>, refresh: () => Promise<unknown>): Promise<number> {
  let writing = true
  let refreshes = 0
  const refresher = async () => {
    while (writing) {
      await refresh()
      refreshes++
    }
  }
  const running = refresher()
  try {
    await Promise.all(Array.from({ length: writers }, (_, w) => write(w)))
  } finally {
    writing = false
    await running
  }
  return refreshes
}

/**
 * A database of its own (a pool of 8, for the writers and the refresher) holding 12 logged complaints of `customers`
 * customers in turn, all opened at `at`: what the refresh races write over.
 */
export async function raceDatabase(t: Test, customers: number): Promise<{ db: Db; ids: string[]; at: string }> {
  const database = await createTestDatabase()
  const db = createDb(database.url, { max: 8 })
  t.teardown(async () => {
    await db.destroy()
    await database.drop()
  })
  const customerIds: string[] = []
  for (let c = 0; c < customers; c++) customerIds.push(await insertCustomer(db, c === 0 ? 'Li Wei' : `Customer ${c}`, `+86138001380${String(c).padStart(2, '0')}`))
  const at = '2026-10-01T08:00:00Z'
  const opened: SeedEvent[] = [
    { type: 'complaint.received', at, actor: null, data: { channel: 'phone' } },
    { type: 'complaint.logged', at, actor: null },
  ]
  const ids: string[] = []
  for (let i = 0; i < 12; i++) {
    ids.push(await insertComplaint(db, { reference: `R${i}`, createdAt: at, customerId: customerIds[i % customers]!, category: 'delivery',
      state: 'logged', promisedBy: '2026-10-02T08:00:00Z', events: opened }))
  }
  return { db, ids, at }
}

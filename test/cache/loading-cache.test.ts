import t from 'tap'
import { LoadingCache } from '../../src/cache/loading-cache.js'

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

/** A load that the test answers: each call waits until `answer(i, value)` (or `fail`) settles it. */
function heldLoads<V>() {
  const calls: { key: string; resolve: (value: V | undefined) => void; reject: (error: Error) => void }[] = []
  const load = (key: string) => new Promise<V | undefined>((resolve, reject) => calls.push({ key, resolve, reject }))
  return { calls, load }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

t.test('an entry lives ttlMs from the start of its load, then is read again', async (t) => {
  const clock = manualClock()
  let loads = 0
  const cache = new LoadingCache(async (key: string) => `${key}:${++loads}`, { ttlMs: 1_000, max: 10, now: clock.now })
  t.equal(await cache.get('a'), 'a:1')
  clock.advance(1_000)
  t.equal(await cache.get('a'), 'a:1', 'still used 1000 ms later')
  clock.advance(0.01)
  t.equal(await cache.get('a'), 'a:2', 'read again past 1000 ms: never older than the bound')
  t.equal(loads, 2)
})

t.test('the time a load takes counts against its entry', async (t) => {
  const clock = manualClock()
  let loads = 0
  const cache = new LoadingCache(async () => {
    loads++
    clock.advance(400) // the read took 400 ms: what it read was committed before it began
    return loads
  }, { ttlMs: 1_000, max: 10, now: clock.now })
  t.equal(await cache.get('k'), 1)
  clock.advance(600)
  t.equal(await cache.get('k'), 1, '1000 ms after the load began')
  clock.advance(0.01)
  t.equal(await cache.get('k'), 2, 'past 1000 ms after the load began, though only 600 ms after it returned')
})

t.test('a load slower than the ttl serves its callers and is not kept', async (t) => {
  const clock = manualClock()
  let loads = 0
  const cache = new LoadingCache(async () => {
    clock.advance(5_000)
    return ++loads
  }, { ttlMs: 1_000, max: 10, now: clock.now })
  t.equal(await cache.get('k'), 1)
  clock.advance(1)
  t.equal(await cache.get('k'), 2)
})

t.test('concurrent gets of one key share one load', async (t) => {
  const { calls, load } = heldLoads<string>()
  const cache = new LoadingCache(load, { ttlMs: 1_000, max: 10 })
  const gets = Array.from({ length: 20 }, () => cache.get('k'))
  await settle()
  t.equal(calls.length, 1, 'one load for twenty gets')
  calls[0]!.resolve('v')
  t.same(await Promise.all(gets), Array(20).fill('v'))
  t.equal(await cache.get('k'), 'v')
  t.equal(calls.length, 1, 'then served from memory')
})

t.test('an invalidation during a load: the load is not kept, its waiters read again', async (t) => {
  const { calls, load } = heldLoads<string>()
  const cache = new LoadingCache(load, { ttlMs: 60_000, max: 10 })
  const early = [cache.get('k'), cache.get('k')]
  await settle()
  t.equal(calls.length, 1)
  // The change commits and is invalidated while the first read (which saw the old row) is still in flight.
  cache.invalidate('k')
  await settle()
  t.equal(calls.length, 2, 'the waiters load again')
  calls[0]!.resolve('old') // the stale read returns late: dropped
  calls[1]!.resolve('new')
  t.same(await Promise.all(early), ['new', 'new'], 'no waiter gets what was read before the change')
  t.equal(await cache.get('k'), 'new', 'the stale load was never stored')
  t.equal(calls.length, 2)
})

t.test('the stale load returning first is dropped too', async (t) => {
  const { calls, load } = heldLoads<string>()
  const cache = new LoadingCache(load, { ttlMs: 60_000, max: 10 })
  const early = cache.get('k')
  await settle()
  cache.clear()
  calls[0]!.resolve('old')
  await settle()
  t.equal(calls.length, 2, 'read again')
  t.equal(cache.size, 1, 'only the new load is held (in flight)')
  calls[1]!.resolve('new')
  t.equal(await early, 'new')
  t.equal(await cache.get('k'), 'new')
})

t.test('invalidated again and again while loading: the caller ends up reading for itself', async (t) => {
  const { calls, load } = heldLoads<string>()
  const cache = new LoadingCache(load, { ttlMs: 60_000, max: 10 })
  const got = cache.get('k')
  for (let i = 0; i < 3; i++) {
    await settle()
    cache.invalidate('k')
  }
  await settle()
  t.equal(calls.length, 4, 'three loads dropped, then one outside the cache')
  calls[3]!.resolve('direct')
  t.equal(await got, 'direct')
})

t.test('invalidate forgets one key, clear every key', async (t) => {
  let loads = 0
  const cache = new LoadingCache(async (key: string) => `${key}:${++loads}`, { ttlMs: 60_000, max: 10 })
  t.equal(await cache.get('a'), 'a:1')
  t.equal(await cache.get('b'), 'b:2')
  cache.invalidate('a')
  t.equal(await cache.get('a'), 'a:3')
  t.equal(await cache.get('b'), 'b:2')
  cache.clear()
  t.equal(await cache.get('b'), 'b:4')
})

t.test('at most `max` keys: the least recently used goes first', async (t) => {
  let loads = 0
  const cache = new LoadingCache(async (key: number) => ({ key, load: ++loads }), { ttlMs: 60_000, max: 3 })
  for (const key of [1, 2, 3]) await cache.get(key)
  await cache.get(1) // 2 is now the least recently used
  await cache.get(4)
  t.equal(cache.size, 3)
  t.equal((await cache.get(1))!.load, 1, 'kept')
  t.equal((await cache.get(2))!.load, 5, 'evicted, read again')
  for (let key = 10; key < 1_000; key++) await cache.get(key)
  t.equal(cache.size, 3, 'never more than max')
})

t.test('nothing found is not kept; a failed load is not kept and its error reaches the caller', async (t) => {
  let loads = 0
  let fail = false
  const cache = new LoadingCache(async (key: string) => {
    loads++
    if (fail) throw new Error('database away')
    return key === 'missing' ? undefined : key
  }, { ttlMs: 60_000, max: 10 })
  t.equal(await cache.get('missing'), undefined)
  t.equal(await cache.get('missing'), undefined)
  t.equal(loads, 2, 'each miss is read again')
  fail = true
  await t.rejects(cache.get('x'), { message: 'database away' })
  fail = false
  t.equal(await cache.get('x'), 'x', 'read again after the failure')
  t.equal(cache.size, 1)
})

t.test('a ttl must be above zero', async (t) => {
  t.throws(() => new LoadingCache(async () => 1, { ttlMs: 0, max: 1 }), RangeError)
})

import t from 'tap'
import { Batcher } from '../../src/timers/batcher.js'

t.test('ids handed in together run as one batch', async (t) => {
  const batches: string[][] = []
  const batcher = new Batcher<string>(async (ids) => {
    batches.push(ids)
    return new Map(ids.map((id) => [id, `done ${id}`]))
  }, 3, 5)
  const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => batcher.add(id)))
  t.same(results, ['done a', 'done b', 'done c', 'done d'])
  t.same(batches, [['a', 'b', 'c'], ['d']], 'a full batch runs at once, the rest after the window')
})

t.test('a failed batch is retried one id at a time, so one bad id fails alone', async (t) => {
  const calls: string[][] = []
  const batcher = new Batcher<string>(async (ids) => {
    calls.push(ids)
    if (ids.includes('bad')) throw new Error('bad timer')
    return new Map(ids.map((id) => [id, id.toUpperCase()]))
  }, 10, 2)
  const settled = await Promise.allSettled(['x', 'bad', 'y'].map((id) => batcher.add(id)))
  t.same(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.equal((settled[0] as PromiseFulfilledResult<string>).value, 'X')
  t.match((settled[1] as PromiseRejectedResult).reason, /bad timer/)
  t.same(calls[0], ['x', 'bad', 'y'])
  t.same(calls.slice(1).sort(), [['bad'], ['x'], ['y']])
})

t.test('a batch of one that fails rejects at once', async (t) => {
  let runs = 0
  const batcher = new Batcher<string>(async () => {
    runs++
    throw new Error('down')
  }, 10, 1)
  await t.rejects(batcher.add('only'), /down/)
  t.equal(runs, 1)
})

t.test('with one batch in flight, the ids that arrive meanwhile wait and run together as the next batch', async (t) => {
  const batches: string[][] = []
  let release!: () => void
  const first = new Promise<void>((resolve) => (release = resolve))
  const batcher = new Batcher<string>(async (ids) => {
    batches.push(ids)
    if (batches.length === 1) await first
    return new Map(ids.map((id) => [id, id]))
  }, 4, 1, 1)
  const a = batcher.add('a')
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(batches, [['a']], 'the first batch runs after its window')
  const later = ['b', 'c', 'd', 'e', 'f', 'g'].map((id) => batcher.add(id))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(batches, [['a']], 'nothing else runs while it is in flight, full batch or not')
  release()
  t.same(await Promise.all([a, ...later]), ['a', 'b', 'c', 'd', 'e', 'f', 'g'])
  t.same(batches, [['a'], ['b', 'c', 'd', 'e'], ['f', 'g']], 'then the waiting ids run in full batches, one at a time')
})

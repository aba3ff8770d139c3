import { PostgresQueryCompiler, sql, type CompiledQuery, type KyselyPlugin } from 'kysely'
import t from 'tap'
import { loadDueSoon } from '../../src/timers/loader.js'
import { reconcile } from '../../src/timers/reconciler.js'
import { aComplaint, setupApp } from '../helpers/app.js'
import { startTestWorker } from '../helpers/worker.js'

// Every statement runs prepared, and after five executions Postgres keeps a generic plan: one made without the
// parameters' values (docs/deadlines.md, "Plans that stay right"). The loader's and the reconciler's statements are
// planned here as that generic plan, and must read their own index, however the parameters would have been guessed;
// the marking, whose best plan depends on the table's size, must be planned for each round.
const compiler = new PostgresQueryCompiler()

function literal(value: unknown): string {
  if (value instanceof Date) return `'${value.toISOString()}'`
  if (Array.isArray(value)) return `array[${value.map(literal).join(', ')}]::text[]`
  if (typeof value === 'number') return String(value)
  if (value === null) return 'null'
  return `'${String(value).replaceAll("'", "''")}'`
}

t.test('the loader and the reconciler read their own indexes in a generic plan; the marking is planned for its round', async (t) => {
  const testApp = await setupApp(t)
  const { call, user, db } = testApp
  const agent = await user('agent')
  for (let i = 0; i < 3; i += 1) t.equal((await call('POST', '/v1/complaints', agent, aComplaint())).statusCode, 201)
  const { scheduler } = startTestWorker(t, testApp)
  const seen: CompiledQuery[] = []
  const capture: KyselyPlugin = {
    transformQuery: (args) => {
      seen.push(compiler.compileQuery(args.node, args.queryId))
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  const watched = db.withPlugin(capture)
  const later = new Date(Date.now() + 10 * 24 * 3_600_000)
  t.equal((await loadDueSoon(watched, scheduler, { horizonMs: 60_000, now: later })).loaded, 6, 'the six deadlines loaded')
  t.equal((await reconcile(watched, scheduler, { horizonMs: 60_000, now: later })).pending, 6, 'and walked by the reconciler')

  const planOf = async (query: CompiledQuery) => db.connection().execute(async (connection) => {
    await sql`set plan_cache_mode = force_generic_plan`.execute(connection)
    try {
      await sql.raw(`prepare generic_plan as ${query.sql}`).execute(connection)
      const { rows } = await sql.raw<{ 'QUERY PLAN': string }>(`explain execute generic_plan(${query.parameters.map(literal).join(', ')})`).execute(connection)
      return rows.map((r) => r['QUERY PLAN']).join('\n')
    } finally {
      await sql`deallocate all`.execute(connection)
      await sql`reset plan_cache_mode`.execute(connection)
    }
  })
  const statement = (pattern: RegExp) => {
    const found = seen.find((q) => pattern.test(q.sql))
    if (!found) throw new Error(`no statement matching ${pattern}`)
    return found
  }
  const loading = await planOf(statement(/not timers\.queued/))
  t.match(loading, /timers_awaiting_queue_idx/, `the loader reads the unqueued pending timers' index:\n${loading}`)
  const walking = await planOf(statement(/due_at::text.* timers\.queued and/))
  t.match(walking, /timers_queued_due_idx/, `the reconciler reads the queued pending timers' index:\n${walking}`)
  // The marking's best plan depends on the table's size (a sequential scan of a table this small): it is planned for
  // each round, never from a plan cached while the table was small.
  const marks = seen.flatMap((q, i) => (/^update timers t set queued = true/.test(q.sql) ? [i] : []))
  t.ok(marks.length > 0, 'the loader marked its rows')
  for (const i of marks) t.match(seen[i - 1]?.sql, /^set local plan_cache_mode = force_custom_plan$/, 'the marking is planned for its round')
})

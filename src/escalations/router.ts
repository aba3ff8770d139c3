import { sql } from 'kysely'
import type { Db, Trx } from '../db/database.js'
import type { ComplaintRow } from '../db/tables.js'

export interface RoutingChoice {
  supervisorId: string
  level: number
  sameTeam: boolean
}

/** What a batch hands out: escalations to supervisors, follow-up calls to agents. */
export interface RoutingNeeds {
  escalations: boolean
  followUps: boolean
}

interface Person {
  id: string
  level: number | null
  teams: string[]
}

/**
 * The people who can take escalations or follow-up calls, with the open escalations and due calls each holds, as
 * read once for a batch. Each choice is made in memory and every transition of the batch is counted as it is
 * planned (`moved`), so a batch assigns exactly as the same routings one after another would.
 *
 * The loads are read without a lock (readWorkloads): what the batch cannot see are the routings of batches still in
 * flight. Those of this process are added from memory (InFlightRouting); those of other worker processes are not,
 * so a choice may miss them: at most the routings of the batches the other workers have in flight (docs/routing.md).
 */
export class Workloads {
  private readonly escalations = new Map<string, number>()
  private readonly calls = new Map<string, number>()

  constructor(
    private readonly supervisors: Person[],
    private readonly agents: Person[],
    loads: Map<string, number>,
    /** Whether the batch read the escalations' loads, and so may route the escalations it opens. */
    readonly routesEscalations = false,
    /** This batch's routing as the other batches of its process see it while it is in flight, and what it sees of theirs. */
    private readonly view?: InFlightView,
  ) {
    for (const s of supervisors) this.escalations.set(s.id, loads.get(s.id) ?? 0)
    for (const a of agents) this.calls.set(a.id, loads.get(a.id) ?? 0)
  }

  /**
   * The active supervisor at the escalation's level, or the nearest level above, with the fewest open
   * escalations; a supervisor of the complaint's team comes first. Null when nobody can take it.
   */
  supervisorFor(input: { level: number; team: string | null }): RoutingChoice | null {
    const candidates = this.supervisors.filter((p) => p.level !== null && p.level >= input.level)
    const best = first(candidates, this.loadsOf('escalation', this.escalations), input.team)
    return best ? { supervisorId: best.id, level: best.level, sameTeam: best.sameTeam } : null
  }

  /** Someone other than the resolver makes the follow-up call when possible: an agent of the team with the fewest due. */
  followUpCallerFor(input: { resolvedBy: string | null; team: string | null }): string | null {
    return first(this.agents.filter((p) => p.id !== input.resolvedBy), this.loadsOf('call', this.calls), input.team)?.id ?? null
  }

  /** A transition of the batch moved a complaint: the loads it counts in follow (an assignment, a re-escalation). */
  moved(from: ComplaintRow, to: ComplaintRow): void {
    this.shift('escalation', this.escalations, openEscalationOf(from), openEscalationOf(to))
    this.shift('call', this.calls, dueCallOf(from), dueCallOf(to))
  }

  /** The batch has committed (or rolled back): its routing leaves the in-flight view of its process. */
  settled(committed: boolean): void {
    this.view?.settled(committed)
  }

  private loadsOf(kind: LoadKind, own: Map<string, number>): (id: string) => number {
    const view = this.view
    return view ? (id) => own.get(id)! + view.unseen(kind, id) : (id) => own.get(id)!
  }

  private shift(kind: LoadKind, loads: Map<string, number>, from: string | null, to: string | null): void {
    if (from === to) return
    if (from !== null && loads.has(from)) loads.set(from, loads.get(from)! - 1)
    if (to !== null && loads.has(to)) loads.set(to, loads.get(to)! + 1)
    this.view?.shift(kind, from, to)
  }
}

type LoadKind = 'escalation' | 'call'

/** A transaction's snapshot (pg_current_snapshot()): whether a transaction's work is visible in it. */
interface Snapshot {
  xmin: bigint
  xmax: bigint
  running: Set<bigint>
}

function parseSnapshot(text: string): Snapshot {
  const [xmin, xmax, running = ''] = text.split(':')
  return { xmin: BigInt(xmin!), xmax: BigInt(xmax!), running: new Set(running.split(',').filter(Boolean).map(BigInt)) }
}

const visibleIn = (snapshot: Snapshot, xid: bigint) => xid < snapshot.xmin || (xid < snapshot.xmax && !snapshot.running.has(xid))

/** One batch's routing so far (+1 and -1 per person and kind), kept in memory while its transaction is open. */
interface InFlightBatch {
  xid: bigint
  deltas: Map<string, number>
  /** The clock when it committed; until then undefined. */
  committedAt?: number
}

/**
 * The routing of this process's batches in flight, so that each batch sees what the others have planned and not yet
 * committed: a batch reads the loads as its snapshot has them and adds every batch of the process whose transaction
 * that snapshot does not show (running, or committed after it was taken). A committed batch is kept until every view
 * opened before its commit has settled; a batch rolled back leaves at once.
 */
export class InFlightRouting {
  private clock = 0
  private readonly batches = new Set<InFlightBatch>()
  private readonly views = new Set<{ openedAt: number }>()

  /** A view for a batch about to read the loads (its snapshot is taken after this call). */
  open(): { openedAt: number; attach: (xid: bigint, snapshot: string) => InFlightView; close: () => void } {
    const opened = { openedAt: ++this.clock }
    this.views.add(opened)
    return {
      openedAt: opened.openedAt,
      attach: (xid, snapshotText) => {
        const own: InFlightBatch = { xid, deltas: new Map() }
        this.batches.add(own)
        const snapshot = parseSnapshot(snapshotText)
        const others = () => [...this.batches].filter((b) => b !== own && !visibleIn(snapshot, b.xid))
        return {
          unseen: (kind, id) => others().reduce((sum, b) => sum + (b.deltas.get(`${kind}:${id}`) ?? 0), 0),
          shift: (kind, from, to) => {
            if (from !== null) own.deltas.set(`${kind}:${from}`, (own.deltas.get(`${kind}:${from}`) ?? 0) - 1)
            if (to !== null) own.deltas.set(`${kind}:${to}`, (own.deltas.get(`${kind}:${to}`) ?? 0) + 1)
          },
          settled: (committed) => {
            if (committed) own.committedAt = ++this.clock
            else this.batches.delete(own)
            this.close(opened)
          },
        }
      },
      close: () => this.close(opened),
    }
  }

  /** In memory now: batches and open views (for tests). */
  get size(): { batches: number; views: number } {
    return { batches: this.batches.size, views: this.views.size }
  }

  private close(view: { openedAt: number }): void {
    this.views.delete(view)
    const oldest = Math.min(...[...this.views].map((v) => v.openedAt))
    // A view opened after a batch committed reads a snapshot that shows it: no view needs it from memory any more.
    for (const b of this.batches) if (b.committedAt !== undefined && b.committedAt < oldest) this.batches.delete(b)
  }
}

interface InFlightView {
  unseen: (kind: LoadKind, id: string) => number
  shift: (kind: LoadKind, from: string | null, to: string | null) => void
  settled: (committed: boolean) => void
}

const inFlightByDb = new WeakMap<Db, InFlightRouting>()

/** The routing in flight of the batches this process runs against `db` (one per worker process). */
export function inFlightRouting(db: Db): InFlightRouting {
  let routing = inFlightByDb.get(db)
  if (!routing) inFlightByDb.set(db, (routing = new InFlightRouting()))
  return routing
}

const openEscalationOf = (row: ComplaintRow) => (row.state === 'escalated' ? row.escalation?.assigneeId ?? null : null)
const dueCallOf = (row: ComplaintRow) => (row.state === 'follow_up' ? row.assigneeId : null)

interface Candidate {
  id: string
  level: number
  sameTeam: boolean
  load: number
}

/** The routing order: lowest level, same team first, fewest open, then id (as Postgres orders uuids). */
function first(people: Person[], loadOf: (id: string) => number, team: string | null): Candidate | undefined {
  let best: Candidate | undefined
  for (const person of people) {
    const c = { id: person.id, level: person.level ?? 0, sameTeam: team !== null && person.teams.includes(team), load: loadOf(person.id) }
    if (!best || c.level < best.level || (c.level === best.level && (c.sameTeam !== best.sameTeam ? c.sameTeam
      : c.load !== best.load ? c.load < best.load : c.id < best.id))) best = c
  }
  return best
}

/**
 * Reads the candidates and their loads for a batch, without a lock: batches that route at once never wait for each
 * other (they took turns on a routing lock held until commit: bench/RESULTS.md, issue 12). The loads come from the
 * routing_loads ledger (migration 0012: a statement trigger on complaints appends each change of a person's load as
 * a delta, so concurrent writers never wait for each other) as this statement's snapshot has them. In the same
 * statement the batch folds the deltas it can lock into one row per person (`skip locked`: the rows another batch is
 * folding are left to it; either way the sums stay), and answers its transaction id and snapshot, so that the
 * routing in flight of the other batches of this process (`inFlight`) is added to what the snapshot does not show.
 * The batch's own assignments reach the ledger through the trigger, in the statement that writes them, and commit
 * with them: one transition, one transaction.
 */
export async function readWorkloads(trx: Trx, needs: RoutingNeeds, inFlight?: InFlightRouting): Promise<Workloads> {
  if (!needs.escalations && !needs.followUps) return new Workloads([], [], new Map())
  const kinds = [...(needs.escalations ? ['escalation'] : []), ...(needs.followUps ? ['call'] : [])]
  const opened = inFlight?.open()
  try {
    const { rows } = await sql<Person & { role: string; load: number; xid: string; snapshot: string }>`
      with victims as (
        select ctid from routing_loads where kind = any(${kinds}::text[]) for update skip locked
      ), folded as (
        delete from routing_loads where ctid = any(array(select ctid from victims)) returning user_id, kind, delta
      ), kept as (
        insert into routing_loads (user_id, kind, delta)
        select user_id, kind, sum(delta)::int from folded group by 1, 2 having sum(delta) <> 0
      ), summed as (
        select user_id, kind, sum(delta)::int as n from routing_loads where kind = any(${kinds}::text[]) group by 1, 2
      )
      select u.id, u.role, u.level, u.teams, coalesce(s.n, 0) as load,
        pg_current_xact_id()::text as xid, pg_current_snapshot()::text as snapshot
      from users u
      left join summed s on s.user_id = u.id and s.kind = case when u.role = 'supervisor' then 'escalation' else 'call' end
      where u.active and ((u.role = 'supervisor' and ${needs.escalations}::boolean) or (u.role = 'agent' and ${needs.followUps}::boolean))`
      .execute(trx)
    const view = opened && rows[0] ? opened.attach(BigInt(rows[0].xid), rows[0].snapshot) : (opened?.close(), undefined)
    const loads = new Map(rows.map((r) => [r.id, r.load]))
    return new Workloads(rows.filter((r) => r.role === 'supervisor'), rows.filter((r) => r.role === 'agent'), loads, needs.escalations, view)
  } catch (error) {
    opened?.close()
    throw error
  }
}

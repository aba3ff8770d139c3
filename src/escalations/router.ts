import { sql } from 'kysely'
import type { Trx } from '../db/database.js'
import type { ComplaintRow } from '../db/tables.js'

// The first key of the two-integer advisory lock space: "routing"; the second names what is being handed out.
const ROUTING_LOCK_SPACE = 0x524f5554
const ESCALATIONS = 1
const FOLLOW_UP_CALLS = 2

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
 */
export class Workloads {
  private readonly escalations = new Map<string, number>()
  private readonly calls = new Map<string, number>()

  constructor(
    private readonly supervisors: Person[],
    private readonly agents: Person[],
    loads: Map<string, number>,
    /** Whether the batch holds the escalations' routing lock, and so may route the escalations it opens. */
    readonly routesEscalations = false,
  ) {
    for (const s of supervisors) this.escalations.set(s.id, loads.get(s.id) ?? 0)
    for (const a of agents) this.calls.set(a.id, loads.get(a.id) ?? 0)
  }

  /**
   * The active supervisor at the escalation's level, or the nearest level above, with the fewest open
   * escalations; a supervisor of the complaint's team comes first. Null when nobody can take it.
   */
  supervisorFor(input: { level: number; team: string | null }): RoutingChoice | null {
    const best = first(this.supervisors.filter((p) => p.level !== null && p.level >= input.level), this.escalations, input.team)
    return best ? { supervisorId: best.id, level: best.level, sameTeam: best.sameTeam } : null
  }

  /** Someone other than the resolver makes the follow-up call when possible: an agent of the team with the fewest due. */
  followUpCallerFor(input: { resolvedBy: string | null; team: string | null }): string | null {
    return first(this.agents.filter((p) => p.id !== input.resolvedBy), this.calls, input.team)?.id ?? null
  }

  /** A transition of the batch moved a complaint: the loads it counts in follow (an assignment, a re-escalation). */
  moved(from: ComplaintRow, to: ComplaintRow): void {
    shift(this.escalations, openEscalationOf(from), openEscalationOf(to))
    shift(this.calls, dueCallOf(from), dueCallOf(to))
  }
}

const openEscalationOf = (row: ComplaintRow) => (row.state === 'escalated' ? row.escalation?.assigneeId ?? null : null)
const dueCallOf = (row: ComplaintRow) => (row.state === 'follow_up' ? row.assigneeId : null)

function shift(loads: Map<string, number>, from: string | null, to: string | null): void {
  if (from === to) return
  if (from !== null && loads.has(from)) loads.set(from, loads.get(from)! - 1)
  if (to !== null && loads.has(to)) loads.set(to, loads.get(to)! + 1)
}

interface Candidate {
  id: string
  level: number
  sameTeam: boolean
  load: number
}

/** The routing order: lowest level, same team first, fewest open, then id (as Postgres orders uuids). */
function first(people: Person[], loads: Map<string, number>, team: string | null): Candidate | undefined {
  let best: Candidate | undefined
  for (const person of people) {
    const c = { id: person.id, level: person.level ?? 0, sameTeam: team !== null && person.teams.includes(team), load: loads.get(person.id)! }
    if (!best || c.level < best.level || (c.level === best.level && (c.sameTeam !== best.sameTeam ? c.sameTeam
      : c.load !== best.load ? c.load < best.load : c.id < best.id))) best = c
  }
  return best
}

/**
 * Takes the routing locks a batch needs, then reads the candidates and their loads (two statements: a statement
 * that waited for the lock would still read with the snapshot taken before the wait). The locks are held until the
 * transaction ends, so a second batch reads the loads only once this one's assignments are committed. Callers take
 * them as late as they can: after the complaints are locked and the timers claimed, just before the batch's write.
 */
export async function readWorkloads(trx: Trx, needs: RoutingNeeds, onLocked?: () => void): Promise<Workloads> {
  if (!needs.escalations && !needs.followUps) return new Workloads([], [], new Map())
  const keys = [...(needs.escalations ? [ESCALATIONS] : []), ...(needs.followUps ? [FOLLOW_UP_CALLS] : [])]
  await sql`select pg_advisory_xact_lock(${ROUTING_LOCK_SPACE}, k) from unnest(${keys}::int[]) as k`.execute(trx)
  onLocked?.()
  // The loads come from routing_loads (migration 0012): the deltas appended since the last routing batch are folded
  // into one row per person (this batch holds the lock, so no other folds at once) and read in the same statement.
  const kinds = [...(needs.escalations ? ['escalation'] : []), ...(needs.followUps ? ['call'] : [])]
  const { rows } = await sql<Person & { role: string; load: number }>`
    with folded as (
      delete from routing_loads where kind = any(${kinds}::text[]) returning user_id, kind, delta
    ), summed as (
      select user_id, kind, sum(delta)::int as n from folded group by 1, 2
    ), kept as (
      insert into routing_loads (user_id, kind, delta) select user_id, kind, n from summed where n <> 0
    )
    select u.id, u.role, u.level, u.teams, coalesce(s.n, 0) as load
    from users u
    left join summed s on s.user_id = u.id and s.kind = case when u.role = 'supervisor' then 'escalation' else 'call' end
    where u.active and ((u.role = 'supervisor' and ${needs.escalations}::boolean) or (u.role = 'agent' and ${needs.followUps}::boolean))`
    .execute(trx)
  const loads = new Map(rows.map((r) => [r.id, r.load]))
  return new Workloads(rows.filter((r) => r.role === 'supervisor'), rows.filter((r) => r.role === 'agent'), loads, needs.escalations)
}

/** One escalation routed on its own (the batch's rule for a batch of one). */
export async function chooseSupervisor(trx: Trx, input: { level: number; team: string | null }): Promise<RoutingChoice | null> {
  return (await readWorkloads(trx, { escalations: true, followUps: false })).supervisorFor(input)
}

/** One follow-up call assigned on its own. */
export async function chooseFollowUpCaller(trx: Trx, input: { resolvedBy: string | null; team: string | null }): Promise<string | null> {
  return (await readWorkloads(trx, { escalations: false, followUps: true })).followUpCallerFor(input)
}

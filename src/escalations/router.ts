import { sql } from 'kysely'
import type { Trx } from '../db/database.js'

// The first key of the two-integer advisory lock space: "routing"; the second names what is being handed out.
const ROUTING_LOCK_SPACE = 0x524f5554
const ESCALATIONS = 1
const FOLLOW_UP_CALLS = 2

/**
 * Workload counts are read, then acted on by the caller's transaction: two routings at once would read the same
 * counts and pick the same person. Holding this until the transaction ends makes each routing see the ones before.
 */
async function lockRouting(trx: Trx, what: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${ROUTING_LOCK_SPACE}, ${what})`.execute(trx)
}

export interface RoutingChoice {
  supervisorId: string
  level: number
  sameTeam: boolean
}

/**
 * The active supervisor at the escalation's level, or the nearest level above, with the fewest open
 * escalations; a supervisor of the complaint's team comes first. Null when nobody can take it.
 */
export async function chooseSupervisor(trx: Trx, input: { level: number; team: string | null }): Promise<RoutingChoice | null> {
  await lockRouting(trx, ESCALATIONS)
  const { rows } = await sql<{ id: string; level: number; sameTeam: boolean }>`
    select u.id, u.level, coalesce(${input.team}::text = any(u.teams), false) as "sameTeam"
    from users u
    where u.active and u.role = 'supervisor' and u.level >= ${input.level}
    order by u.level,
      coalesce(${input.team}::text = any(u.teams), false) desc,
      (select count(*) from complaints c
        where c.state = 'escalated' and c.escalation ->> 'assigneeId' = u.id::text),
      u.id
    limit 1`.execute(trx)
  const row = rows[0]
  return row ? { supervisorId: row.id, level: row.level, sameTeam: row.sameTeam } : null
}

/** Someone other than the resolver makes the follow-up call when possible: an agent of the team with the fewest due. */
export async function chooseFollowUpCaller(trx: Trx, input: { resolvedBy: string | null; team: string | null }): Promise<string | null> {
  await lockRouting(trx, FOLLOW_UP_CALLS)
  const { rows } = await sql<{ id: string }>`
    select u.id from users u
    where u.active and u.role = 'agent' and u.id is distinct from ${input.resolvedBy}::uuid
    order by coalesce(${input.team}::text = any(u.teams), false) desc,
      (select count(*) from complaints c where c.state = 'follow_up' and c.assignee_id = u.id),
      u.id
    limit 1`.execute(trx)
  return rows[0]?.id ?? null
}

import { sql } from 'kysely'
import type { Static } from 'typebox'
import type { Actor } from '../../workflows/complaint.machine.js'
import type { Trx } from '../db/database.js'
import type { ComplaintRow, TransferRecord } from '../db/tables.js'
import { Problem, problems } from '../http/problem.js'
import { addDuration } from '../sla/policy.js'
import type { SendBackBody, TransferBody } from './complaint.schemas.js'
import type { Command, LockedComplaint } from './transition.js'
import { jsonb } from '../db/jsonb.js'

/** The caller's teams: the machine's Actor does not carry them, the route does. */
export interface TeamsOf { teams: readonly string[] }

/** The states a complaint is open in (CONTRACT.md): received, logged, escalated. */
const OPEN_STATES = ['received', 'logged', 'escalated']

/**
 * The receiving team's active agent with the fewest open complaints assigned, ties by id (as Postgres orders uuids),
 * or null when the team has no active agent. Read under the complaint's lock but not under a routing lock: two
 * transfers into one team at the same instant may pick the same agent (a tie of one complaint, not a lost complaint).
 */
export async function leastLoadedAgent(trx: Trx, team: string): Promise<string | null> {
  const { rows } = await sql<{ id: string }>`
    select u.id from users u
    where u.active and u.role = 'agent' and ${team} = any(u.teams)
    order by (select count(*) from complaints c where c.assignee_id = u.id and c.state = any(${OPEN_STATES}::text[])), u.id
    limit 1`.execute(trx)
  return rows[0]?.id ?? null
}

/**
 * Who holds a transferred complaint: the receiving team's least-loaded agent, except that an escalation a supervisor
 * took (acknowledged: the complaint is assigned to the escalation's supervisor) stays with that supervisor.
 */
function keepsItsSupervisor(row: ComplaintRow): boolean {
  return row.state === 'escalated' && row.escalation?.acknowledgedAt != null && row.assigneeId !== null &&
    row.assigneeId === row.escalation.assigneeId
}

/**
 * POST /transfer: to another team, by an agent of the complaint's team (any agent when it has none) or any supervisor.
 * The promise does not move: no deadline is touched (the machine's TRANSFER arms and cancels nothing).
 */
export function transferCommand(actor: Actor, body: Static<typeof TransferBody>, caller: TeamsOf): Command {
  const base: Command = { event: { type: 'TRANSFER', actor }, data: { ...body } }
  return {
    ...base,
    load: async (trx, { row }) => {
      const assigneeId = keepsItsSupervisor(row) ? row.assigneeId : await leastLoadedAgent(trx, body.team)
      return {
        event: base.event,
        data: { team: body.team, reason: body.reason, fromTeam: row.team, fromAssigneeId: row.assigneeId, assigneeId },
        check: ({ row }) => {
          if (!OPEN_STATES.includes(row.state)) return // the machine answers invalid_transition
          if (actor.role === 'agent' && row.team !== null && !caller.teams.includes(row.team)) {
            throw problems.forbidden(`only an agent of the complaint's team (${row.team}) or a supervisor transfers it`)
          }
          if (body.team === row.team) throw problems.validation([{ field: 'body.team', message: 'is already the complaint\'s team' }])
        },
        // In prepare, which is given the policy: the send-back window is the policy's at the transfer, kept on the record.
        prepare: (row, now, policy) => {
          const transfer: TransferRecord = {
            fromTeam: row.team, fromAssigneeId: row.assigneeId, toTeam: body.team, reason: body.reason,
            transferredBy: actor.id, transferredAt: now.toISOString(),
            sendBackUntil: addDuration(now, policy.sendBackWithin).toISOString(),
            sentBackBy: null, sentBackAt: null, sendBackReason: null,
          }
          return { team: body.team, assigneeId, transfer: jsonb(transfer) }
        },
      }
    },
  }
}

/** The machine allows a send-back (an open transfer in an open state): only then do the command's own checks apply. */
function sendBackPossible(row: ComplaintRow): row is ComplaintRow & { transfer: TransferRecord } {
  return row.transfer !== null && OPEN_STATES.includes(row.state) &&
    row.machineSnapshot.context.sendBackOpen === true
}

/**
 * POST /send-back: the receiving team (an agent or supervisor of the complaint's team now) returns a transfer within
 * its window, to the team and assignee it came from. Once only: the machine refuses a second (invalid_transition).
 */
export function sendBackCommand(actor: Actor, body: Static<typeof SendBackBody>, caller: TeamsOf): Command {
  const event = { type: 'SEND_BACK', actor } as const
  return {
    event,
    data: { ...body },
    load: async (_trx, { row }: LockedComplaint) => {
      const transfer = row.transfer
      return {
        event,
        data: { reason: body.reason, fromTeam: row.team, team: transfer?.fromTeam ?? null, assigneeId: transfer?.fromAssigneeId ?? null },
        check: ({ row }, { now }) => {
          if (!sendBackPossible(row)) return
          if (row.team === null || !caller.teams.includes(row.team)) {
            throw problems.forbidden(`only an agent or a supervisor of the receiving team (${row.team}) sends the transfer back`)
          }
          if (now > new Date(row.transfer.sendBackUntil)) {
            throw new Problem('send_back_window_passed', `the transfer could be sent back until ${row.transfer.sendBackUntil} (policy sendBackWithin)`, { state: row.state })
          }
        },
        project: ({ row, now }) => ({
          team: row.transfer!.fromTeam,
          assigneeId: row.transfer!.fromAssigneeId,
          transfer: jsonb({ ...row.transfer!, sentBackBy: actor.id, sentBackAt: now.toISOString(), sendBackReason: body.reason }),
        }),
      }
    },
  }
}

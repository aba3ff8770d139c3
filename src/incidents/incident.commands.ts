import type { Actor } from '../../workflows/complaint.machine.js'
import type { IncidentRow } from '../db/tables.js'
import { Problem } from '../http/problem.js'
import type { Command } from '../complaints/transition.js'
import { OPEN_STATES } from './incidents.repository.js'

const about = (incident: Pick<IncidentRow, 'id' | 'reference'>) => ({ incidentId: incident.id, incidentReference: incident.reference })

/**
 * Joins an open complaint to an incident: 409 complaint_closed for one that is not open (in follow_up or closed),
 * 409 already_linked for one in another incident. The machine says that only an open complaint may join; these
 * checks run first, to answer with the contract's codes.
 */
export function linkCommand(actor: Actor, incident: Pick<IncidentRow, 'id' | 'reference'>): Command {
  return {
    event: { type: 'LINK_INCIDENT', actor },
    data: about(incident),
    check: ({ row }) => {
      if (!OPEN_STATES.includes(row.state)) {
        throw new Problem('complaint_closed', `${row.reference} is ${row.state}: only an open complaint (received, logged, escalated) joins an incident`, { complaintId: row.id, state: row.state })
      }
      if (row.incidentId !== null && row.incidentId !== incident.id) {
        throw new Problem('already_linked', `${row.reference} is linked to another incident: unlink it there first`, { complaintId: row.id, incidentId: row.incidentId })
      }
    },
    project: () => ({ incidentId: incident.id }),
  }
}

/** Takes a complaint out of its incident, in any state. */
export function unlinkCommand(actor: Actor, incident: Pick<IncidentRow, 'id' | 'reference'>): Command {
  return { event: { type: 'UNLINK_INCIDENT', actor }, data: about(incident), project: () => ({ incidentId: null }) }
}

/** A complaint's resolve as part of its incident's: the complaint's own command, its history naming the incident. */
export function throughIncident(command: Command, incident: Pick<IncidentRow, 'id' | 'reference'>): Command {
  return { ...command, data: { ...(command.data as Record<string, unknown>), ...about(incident) } }
}

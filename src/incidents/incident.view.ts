import type { IncidentRow } from '../db/tables.js'
import type { SuggestedIncident } from './suggestions.js'

const iso = (date: Date | null) => (date ? date.toISOString() : null)

export interface LinkedComplaint { id: string; reference: string; state: string }

/** The incident as the contract shows it. */
export function presentIncident(row: IncidentRow) {
  return {
    id: row.id,
    reference: row.reference,
    title: row.title,
    category: row.category,
    product: row.product,
    region: row.region,
    description: row.description,
    state: row.state,
    complaintCount: row.complaintCount,
    openCount: row.openCount,
    resolution: row.resolution,
    createdBy: row.createdBy,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    resolvedAt: iso(row.resolvedAt),
  }
}

/** The incident with its complaints' ids, references and states (GET /v1/incidents/{id} and the answers that change it). */
export function presentIncidentDetail(row: IncidentRow, complaints: LinkedComplaint[]) {
  return { ...presentIncident(row), complaints }
}

/** An intake's answer: the complaint and the incidents it may belong to (none on a replayed request, which reads nothing). */
export function withSuggestions<T extends object>(view: T, suggested: SuggestedIncident[] | undefined): T | (T & { suggestedIncidents: SuggestedIncident[] }) {
  return suggested ? { ...view, suggestedIncidents: suggested } : view
}

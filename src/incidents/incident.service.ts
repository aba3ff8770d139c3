import { sql } from 'kysely'
import type { Static } from 'typebox'
import type { AuthUser } from '../auth/auth.plugin.js'
import { resolveCommand } from '../complaints/commands.js'
import { lockComplaints } from '../complaints/complaint.repository.js'
import type { ComplaintService } from '../complaints/complaint.service.js'
import { actorOf } from '../complaints/complaint.view.js'
import { checkVersion } from '../complaints/if-match.js'
import { planCommand, type Command, type TransitionContext, type TransitionResult } from '../complaints/transition.js'
import { writeComplaints, type ComplaintWrite } from '../complaints/writer.js'
import type { Db, Trx } from '../db/database.js'
import type { IncidentResolution, IncidentRow, TextSample } from '../db/tables.js'
import { Problem, problems } from '../http/problem.js'
import { linkCommand, throughIncident, unlinkCommand } from './incident.commands.js'
import type { CreateIncidentBody, ResolveIncidentBody } from './incident.schemas.js'
import { presentIncidentDetail } from './incident.view.js'
import { sampleOf, withSamples } from './suggestions.js'
import {
  findIncidentDetail, insertIncident, listIncidents, lockIncidentRow, OPEN_STATES, openComplaintIds, takeIncidentTurn,
} from './incidents.repository.js'
import type { LockedRecord } from '../complaints/complaint.repository.js'
import { jsonb } from '../db/jsonb.js'

export type IncidentDetailView = ReturnType<typeof presentIncidentDetail>

export interface Skipped { id: string; reference: string; code: string; detail: string }

const resolvedProblem = (row: IncidentRow) =>
  new Problem('incident_resolved', `incident ${row.reference} was resolved at ${row.resolvedAt?.toISOString() ?? 'an earlier time'}: create a new one`)

/**
 * Incidents: many complaints of any customers, one cause. Every change to a complaint is that complaint's own
 * transition through the shared pipeline (src/complaints/transition.ts), written for all of them in one statement
 * (writeComplaints, as a timer batch writes), in one transaction with the incident. Locks: the incident's turn
 * (advisory), then the complaints in id order, then the incident's row (see incidents.repository.ts).
 */
export class IncidentService {
  constructor(private readonly db: Db, private readonly complaints: ComplaintService) {}

  private async context(): Promise<TransitionContext> {
    return { ...(await this.complaints.rarelyChanging()), now: this.complaints.now() }
  }

  async create(user: AuthUser, body: Static<typeof CreateIncidentBody>): Promise<IncidentDetailView> {
    const row = await insertIncident(this.db, {
      title: body.title,
      category: body.category ?? null,
      product: body.product ?? null,
      region: body.region ?? null,
      description: body.description ?? null,
      createdBy: user.id,
    }, this.complaints.now())
    return presentIncidentDetail(row, [])
  }

  async get(id: string): Promise<IncidentDetailView> {
    const found = await findIncidentDetail(this.db, id)
    if (!found) throw problems.notFound('incident')
    return presentIncidentDetail(found.row, found.complaints)
  }

  list(query: Parameters<typeof listIncidents>[1]) {
    return listIncidents(this.db, query)
  }

  /**
   * Links complaints, all or none: one refused (unknown, not open, in another incident) refuses the request and
   * links nothing. A complaint already in this incident is left as it is.
   */
  async link(user: AuthUser, id: string, complaintIds: string[]): Promise<IncidentDetailView> {
    const ids = [...new Set(complaintIds)]
    const actor = actorOf(user)
    const context = await this.context()
    return this.changing(id, async (trx) => {
      const locked = await lockComplaints(trx, ids)
      const incident = await this.openIncident(trx, id)
      const missing = ids.filter((wanted) => !locked.some((l) => l.row.id === wanted && this.complaints.visible(l.row, user)))
      if (missing.length > 0) throw new Problem('not_found', `no complaint ${missing.join(', ')}`, { missing })
      const joining = locked.filter((l) => l.row.incidentId !== id)
      const planned = await plan(joining, () => linkCommand(actor, incident), context)
      const newest = [...joining].sort((a, b) => b.row.createdAt.getTime() - a.row.createdAt.getTime())
      const samples = withSamples(incident.samples, newest.map(({ row }) => sampleOf(row.id, row.summary, row.description)))
      return { planned, touched: joining.length > 0, linked: true, samples }
    })
  }

  async unlink(user: AuthUser, id: string, complaintId: string): Promise<IncidentDetailView> {
    const actor = actorOf(user)
    const context = await this.context()
    return this.changing(id, async (trx) => {
      const [locked] = await lockComplaints(trx, [complaintId])
      const incident = await this.openIncident(trx, id)
      if (!locked || locked.row.incidentId !== id) throw problems.notFound(`complaint ${complaintId} in incident ${incident.reference}`)
      const samples = withSamples(incident.samples, [], [complaintId])
      return { planned: await plan([locked], () => unlinkCommand(actor, incident), context), touched: true, samples }
    })
  }

  /**
   * Resolves every open complaint of the incident as the caller, each its own resolve within the caller's authority;
   * one the caller may not resolve (above their compensation limit or escalation level, still received) stays open
   * and is listed in `skipped` with the code its own resolve would answer. The incident is resolved once none of its
   * complaints is open: now, or when the last one left open is resolved, closed or unlinked (the trigger of
   * migration 0023). Two resolves of one incident take turns: the second finds the complaints the first resolved no
   * longer open.
   */
  async resolve(user: AuthUser, id: string, ifMatch: string | undefined, body: Static<typeof ResolveIncidentBody>) {
    const actor = actorOf(user)
    const context = await this.context()
    const skipped: Skipped[] = []
    let resolved: string[] = []
    const detail = await this.changing(id, async (trx) => {
      const locked = await lockComplaints(trx, await openComplaintIds(trx, id))
      const incident = await this.openIncident(trx, id, ifMatch)
      // The ids were read before the locks: one resolved or unlinked meanwhile is no longer this request's to resolve.
      const open = locked.filter((l) => l.row.incidentId === id && OPEN_STATES.includes(l.row.state))
      const planned = await plan(open, () => throughIncident(resolveCommand(actor, body), incident), context, skipped)
      resolved = planned.map((p) => p.result.row.id)
      const resolution: IncidentResolution = {
        summary: body.summary,
        compensation: body.compensation
          ? { kind: body.compensation.kind, amount: body.compensation.amount ?? null, currency: body.compensation.currency ?? null }
          : null,
        resolvedBy: user.id,
        requestedAt: context.now.toISOString(),
      }
      return { planned, touched: true, resolution }
    })
    return { incident: detail, resolved, skipped }
  }

  /**
   * One change to an incident: its turn, the complaints' transitions written in one statement, the incident's version
   * (and, for a resolve, its resolution) moved, the answer read in the same transaction; the after-commit work of the
   * transitions once committed.
   */
  private async changing(
    id: string,
    work: (trx: Trx) => Promise<{ planned: Planned[]; touched: boolean; linked?: boolean; resolution?: IncidentResolution; samples?: TextSample[] }>,
  ): Promise<IncidentDetailView> {
    const now = this.complaints.now()
    const { results, detail } = await this.db.transaction().execute(async (trx) => {
      await takeIncidentTurn(trx, id)
      const { planned, touched, linked, resolution, samples } = await work(trx)
      await writeComplaints(trx, planned.map((p) => p.write))
      if (touched) {
        await trx.updateTable('incidents').set({
          version: sql`version + 1`,
          updatedAt: now,
          ...(resolution
            ? {
              resolution: jsonb(resolution),
              // Nothing left open (the trigger counted the complaints just resolved): resolved now.
              state: sql`case when open_count = 0 then 'resolved' else state end`,
              resolvedAt: sql`case when open_count = 0 then coalesce(resolved_at, ${now}) else resolved_at end`,
            }
            : {}),
          // Linked lately: suggested to intakes for another 72 hours.
          ...(linked ? { activeAt: now } : {}),
          ...(samples ? { samples: jsonb(samples) } : {}),
        }).where('id', '=', id).execute()
      }
      const found = (await findIncidentDetail(trx, id))!
      return { results: planned.map((p) => p.result), detail: presentIncidentDetail(found.row, found.complaints) }
    })
    await this.complaints.afterCommit(results)
    return detail
  }

  /** The incident's row, locked (after its complaints'): 404 when there is none, 412 for a stale If-Match, 409 once resolved. */
  private async openIncident(trx: Trx, id: string, ifMatch?: string): Promise<IncidentRow> {
    const incident = await lockIncidentRow(trx, id)
    if (!incident) throw problems.notFound('incident')
    checkVersion(ifMatch, incident.version, 'incident')
    if (incident.state === 'resolved') throw resolvedProblem(incident)
    return incident
  }
}

interface Planned { result: TransitionResult; write: ComplaintWrite }

/**
 * Plans each complaint's transition in memory. With `skipped`, a refusal (a Problem the pipeline answers) leaves that
 * complaint out and is listed there; without it, a refusal refuses the whole request.
 */
async function plan(locked: LockedRecord[], build: () => Command, context: TransitionContext, skipped?: Skipped[]): Promise<Planned[]> {
  const planned: Planned[] = []
  for (const complaint of locked) {
    try {
      planned.push(await planCommand(complaint, build(), context))
    } catch (error) {
      if (!skipped || !(error instanceof Problem)) throw error
      skipped.push({ id: complaint.row.id, reference: complaint.row.reference, code: error.code, detail: error.message })
    }
  }
  return planned
}

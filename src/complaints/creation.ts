import type { Insertable } from 'kysely'
import { MACHINE_VERSION, start, type Actor } from '../../workflows/complaint.machine.js'
import type { ComplaintRow, ComplaintsTable } from '../db/tables.js'
import { joinOutbox, NO_OUTBOX, notifiedTypes, planOutbox } from '../outbox/outbox.js'
import type { NotifiedCustomer } from '../notifications/plan.js'
import type { SlaPolicy } from '../sla/policy.js'
import { byDueAt } from '../timers/timers.repository.js'
import { eventRow, patched, planCommand, planTimers, timerInsert, type Command, type TransitionContext, type TransitionResult } from './transition.js'
import type { ComplaintWrite } from './writer.js'
import { jsonb } from '../db/jsonb.js'

/** The fields of a new complaint that the intake decides (the rest follow from the machine). */
export type NewComplaint = Omit<
  ComplaintRow,
  'state' | 'machineVersion' | 'machineSnapshot' | 'version' | 'escalation' | 'resolution' | 'followUp' | 'closeReason' |
  'clockPaused' | 'promisedBy' | 'originalPromisedBy' | 'extension' | 'transfer' | 'incidentId' | 'updatedAt' | 'closedAt'
>

/**
 * A new complaint composed in memory: received (version 1, seq 1) and, for a complaint taken by an agent, logged
 * at once (seq 2), decided together so that nothing is inserted and then cancelled (the triage deadline of a
 * complaint logged at once is never written). One write: the row, both history events, the surviving timers and
 * both transitions' outbox rows.
 */
export async function planCreation(
  fields: NewComplaint,
  actor: Actor,
  policy: SlaPolicy,
  context: Omit<TransitionContext, 'policy'> & { log?: Command; customer?: NotifiedCustomer },
): Promise<{ write: ComplaintWrite; results: TransitionResult[] }> {
  const { now } = context
  const started = start({ maxLevel: policy.maxLevel, followUpMaxAttempts: policy.followUpAttempts, followUpBy: policy.followUpBy })
  const state = started.persisted.value
  const insert: Insertable<ComplaintsTable> = {
    ...fields,
    state,
    machineVersion: MACHINE_VERSION,
    machineSnapshot: jsonb(started.persisted),
    escalation: jsonb(null),
    resolution: jsonb(null),
    followUp: jsonb(null),
    version: 1,
    updatedAt: now,
  }
  const received = patched({ ...fields, closeReason: null, clockPaused: null, promisedBy: null, originalPromisedBy: null, extension: null, transfer: null, incidentId: null, closedAt: null } as ComplaintRow, insert)
  const subject = { severity: fields.severity, customerTier: fields.customerTier, team: fields.team }
  const timers = planTimers(fields.id, started.effects, { seq: 1, now, policy, promisedBy: null, subject, horizonMs: context.horizonMs })
  const outbox = notifiedTypes(started.effects).length === 0
    ? NO_OUTBOX
    : planOutbox(context.endpoints, { complaint: received, seq: 1, historyType: 'complaint.received', effects: started.effects, at: now })
  const createdData = { reference: fields.reference, channel: fields.channel }
  const first: TransitionResult = {
    row: received, pending: [...timers.armed].sort(byDueAt), effects: started.effects, seq: 1, armed: timers.armed,
    historyType: 'complaint.received', deliveries: outbox.pending, cancelled: [],
    history: [{ seq: 1, type: 'complaint.received', actorId: actor.id, at: now, data: createdData }],
  }
  const event = eventRow(fields.id, 1, 'CREATED', actor, now, createdData)
  if (!context.log) {
    return {
      write: { complaintId: fields.id, insert, events: [event], cancel: { kinds: [], at: now, ids: [] }, arm: timers.armed.map((t) => timerInsert(fields.id, t, state, 1)), outbox },
      results: [first],
    }
  }
  const logged = await planCommand({ row: received, pending: first.pending, customer: context.customer }, context.log, { ...context, policy })
  const survivors = timers.armed.filter((t) => !logged.write.cancel.kinds.includes(t.kind))
  return {
    write: {
      complaintId: fields.id,
      insert: { ...insert, ...logged.write.update },
      events: [event, ...logged.write.events],
      cancel: { kinds: [], at: now, ids: [] },
      arm: [...survivors.map((t) => timerInsert(fields.id, t, state, 1)), ...logged.write.arm],
      outbox: joinOutbox(outbox, logged.write.outbox),
    },
    results: [{ ...first, armed: survivors }, logged.result],
  }
}

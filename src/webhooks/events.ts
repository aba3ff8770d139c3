import { complaintMachine } from '../../workflows/complaint.machine.js'
import type { ComplaintRow } from '../db/tables.js'

/** Every event type the machine can announce (its `notify` effects): read from the machine, never listed by hand. */
export const EVENT_TYPES: readonly string[] = (() => {
  const found = new Set<string>()
  const visit = (actions: unknown) => {
    for (const action of Array.isArray(actions) ? actions : [actions]) {
      const candidate = action as { type?: unknown; params?: { event?: unknown } } | undefined
      if (candidate?.type === 'notify' && typeof candidate.params?.event === 'string') found.add(candidate.params.event)
    }
  }
  for (const node of Object.values(complaintMachine.root.states)) {
    visit(node.entry)
    visit(node.exit)
    for (const transitions of node.transitions.values()) for (const transition of transitions) visit(transition.actions)
  }
  return [...found].sort()
})()

/** The body of one outbound webhook, in the Standard Webhooks shape `{type, timestamp, data}`. */
export function eventPayload(
  type: string,
  complaint: Pick<ComplaintRow, 'id' | 'reference' | 'externalRef' | 'state' | 'severity' | 'category' | 'escalation' | 'closeReason'>,
  at: Date,
  order: { seq: number; seqIndex: number; cause: string },
): string {
  return JSON.stringify({
    type,
    timestamp: at.toISOString(),
    data: {
      complaintId: complaint.id,
      reference: complaint.reference,
      externalRef: complaint.externalRef,
      state: complaint.state,
      severity: complaint.severity,
      category: complaint.category,
      escalationLevel: complaint.escalation?.level ?? null,
      closeReason: complaint.closeReason,
      seq: order.seq,
      seqIndex: order.seqIndex,
      cause: order.cause,
    },
  })
}

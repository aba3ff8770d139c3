import { isUuid } from '../ids.js'

/**
 * A timer's id is deterministic: the complaint, the kind and the history event that armed it. BullMQ job
 * ids are derived from it, and may not contain ':'.
 */
export function timerId(complaintId: string, kind: string, armedSeq: number): string {
  return `${complaintId}.${kind}.${armedSeq}`
}

/** The complaint a timer id names (see timerId), or undefined when the id is not one timerId makes. */
export function complaintOfTimer(id: string): string | undefined {
  const complaintId = id.slice(0, id.indexOf('.'))
  return isUuid(complaintId) ? complaintId : undefined
}

/** The kind a timer id names (see timerId), or undefined when the id is not one timerId makes. */
export function kindOfTimer(id: string): string | undefined {
  const parts = id.split('.')
  return parts.length === 3 && isUuid(parts[0]!) ? parts[1] : undefined
}

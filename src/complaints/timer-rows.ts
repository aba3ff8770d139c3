/**
 * A timer's id is deterministic: the complaint, the kind and the history event that armed it. BullMQ job
 * ids are derived from it, and may not contain ':'.
 */
export function timerId(complaintId: string, kind: string, armedSeq: number): string {
  return `${complaintId}.${kind}.${armedSeq}`
}

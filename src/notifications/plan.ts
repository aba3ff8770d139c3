import { randomUUID } from 'node:crypto'
import type { Insertable } from 'kysely'
import type { ComplaintRow, CustomerRow, NotificationsTable } from '../db/tables.js'
import { calendarOf } from '../sla/deadline-clock.js'
import type { SlaPolicy } from '../sla/policy.js'
import { formatTime } from './format.js'
import { isLanguage, kindOf, type Channel, type Language } from './kinds.js'
import type { NotifyContext } from './settings.js'
import { render, templateFor, type TemplateValues } from './templates.js'

export type NotificationInsert = Insertable<NotificationsTable>
export type NotifiedCustomer = Pick<CustomerRow, 'name' | 'email' | 'phone' | 'language' | 'notify'>

export interface NotificationInput {
  /** The complaint as the transition leaves it. */
  complaint: Pick<ComplaintRow, 'id' | 'reference' | 'summary' | 'promisedBy' | 'resolution' | 'team' | 'extension'>
  customer: NotifiedCustomer | undefined
  seq: number
  historyType: string
  /** The history event's data (an extension's `reason`). */
  data: Record<string, unknown> | undefined
  at: Date
  policy: SlaPolicy
}

const ANONYMOUS: Record<Language, string> = { 'zh-CN': '客户', en: 'customer' }

function addressOf(customer: NotifiedCustomer, channel: Channel): string | null {
  return channel === 'email' ? customer.email : customer.phone
}

/**
 * The messages one transition sends its customer: one per configured channel for which the customer has an address,
 * rendered now in the customer's language with the templates in force, the times in the complaint's calendar zone.
 * Nothing when the transition's history type tells the customer nothing, or the customer asked for silence.
 */
export function planNotifications(context: NotifyContext | undefined, input: NotificationInput): NotificationInsert[] {
  const kind = kindOf(input.historyType)
  const { customer, complaint } = input
  if (!context || !kind || !customer || !customer.notify) return []
  // The promise to the customer is the `response` deadline; a supervisor's own deadline (escalation_response) records
  // the same history type, but the customer was promised nothing new by it and was apologised to already.
  if (kind === 'promise_missed' && input.data?.kind !== undefined && input.data.kind !== 'response') return []
  const channels = context.channels.filter((channel) => addressOf(customer, channel))
  if (channels.length === 0) return []
  const language: Language = isLanguage(customer.language) ? customer.language : context.defaultLanguage
  const zone = calendarOf(input.policy, complaint.team).timezone
  const values: TemplateValues = {
    reference: complaint.reference,
    promisedBy: complaint.promisedBy ? formatTime(complaint.promisedBy, zone, language) : '',
    summary: complaint.resolution?.summary ?? complaint.summary,
    customerName: customer.name ?? ANONYMOUS[language],
    // An approval's own data is {approve, note}: the reason is the request's, on the complaint.
    reason: typeof input.data?.reason === 'string' ? input.data.reason : complaint.extension?.reason ?? '',
  }
  const template = templateFor(context.templates, kind, language)
  const subject = render(template.subject, values)
  const body = render(template.text, values)
  return channels.map((channel) => ({
    id: randomUUID(),
    complaintId: complaint.id,
    seq: input.seq,
    kind,
    channel,
    recipient: addressOf(customer, channel)!,
    language,
    subject: channel === 'email' ? subject : null,
    body,
    nextAttemptAt: input.at,
    retrySince: input.at,
    createdAt: input.at,
    updatedAt: input.at,
  }))
}

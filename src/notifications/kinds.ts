/** What the customer is told, each kind for one history type (the complaint_events `type` of the transition). */
export const KIND_OF_HISTORY = {
  'complaint.logged': 'complaint_logged',
  'promise.extended': 'promise_extended',
  'deadline.response_missed': 'promise_missed',
  'complaint.resolved': 'complaint_resolved',
  'complaint.awaiting_reminder': 'awaiting_reminder',
} as const

export type NotificationKind = (typeof KIND_OF_HISTORY)[keyof typeof KIND_OF_HISTORY]
export const KINDS = Object.values(KIND_OF_HISTORY) as NotificationKind[]

export const LANGUAGES = ['zh-CN', 'en'] as const
export type Language = (typeof LANGUAGES)[number]

export const CHANNELS = ['email', 'sms'] as const
export type Channel = (typeof CHANNELS)[number]

export function kindOf(historyType: string): NotificationKind | undefined {
  return (KIND_OF_HISTORY as Record<string, NotificationKind>)[historyType]
}

export function isLanguage(value: unknown): value is Language {
  return (LANGUAGES as readonly unknown[]).includes(value)
}

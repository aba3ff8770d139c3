import type { Config } from '../config.js'
import type { Channel, Language } from './kinds.js'
import type { TemplateOverrides } from './templates.js'

export type NotifyConfig = Partial<Pick<Config, 'SMTP_URL' | 'NOTIFY_FROM' | 'SMS_WEBHOOK_URL' | 'SMS_WEBHOOK_SECRET' | 'DEFAULT_LANGUAGE'>>

/** What planning a message needs of the configuration: the channels that can send, and the language of last resort. */
export interface NotifySettings {
  channels: readonly Channel[]
  defaultLanguage: Language
}

/** What a transition plans its messages with: the settings and the templates in force (read before it opens). */
export interface NotifyContext extends NotifySettings {
  templates: TemplateOverrides
}

export const DEFAULT_FROM = 'Hotline <no-reply@localhost>'

export function notifySettings(config: NotifyConfig): NotifySettings {
  return {
    channels: [...(config.SMTP_URL ? ['email' as const] : []), ...(config.SMS_WEBHOOK_URL ? ['sms' as const] : [])],
    defaultLanguage: config.DEFAULT_LANGUAGE ?? 'zh-CN',
  }
}

import { cachesOf } from '../cache/caches.js'
import type { Db } from '../db/database.js'
import type { NotifyContext, NotifySettings } from './settings.js'

/**
 * What a transition plans its messages with, read from memory before its transaction opens (as the policy and the
 * endpoints are); undefined, and nothing read, when no channel is configured.
 */
export async function notifyContext(db: Db, settings: NotifySettings | undefined): Promise<NotifyContext | undefined> {
  if (!settings?.channels.length) return undefined
  return { ...settings, templates: await cachesOf(db).templates() }
}

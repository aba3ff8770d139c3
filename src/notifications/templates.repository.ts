import type { Db } from '../db/database.js'
import type { Template, TemplateOverrides } from './templates.js'

/** Every override an admin has set, by `kind/language`. */
export async function readOverrides(db: Db): Promise<TemplateOverrides> {
  const rows = await db.selectFrom('notificationTemplates').select(['kind', 'language', 'subject', 'text', 'updatedAt']).execute()
  return new Map(rows.map((r) => [`${r.kind}/${r.language}`, { subject: r.subject, text: r.text, updatedAt: r.updatedAt }]))
}

export async function saveOverride(db: Db, key: { kind: string; language: string }, template: Template, userId: string): Promise<Date> {
  const now = new Date()
  await db.insertInto('notificationTemplates')
    .values({ ...key, ...template, updatedBy: userId, updatedAt: now })
    .onConflict((oc) => oc.columns(['kind', 'language']).doUpdateSet({ ...template, updatedBy: userId, updatedAt: now }))
    .execute()
  return now
}

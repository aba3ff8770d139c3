import { DateTime } from 'luxon'
import type { Language } from './kinds.js'

// Fixed names, not Intl's: en-GB's short September is "Sept" in newer ICU data, and a message must not change with
// the Node build.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A time as the customer reads it, in the complaint's calendar zone: `2026年11月30日 18:30` / `30 Nov 2026, 18:30`. */
export function formatTime(at: Date, zone: string, language: Language): string {
  const local = DateTime.fromJSDate(at, { zone })
  const time = local.toFormat('HH:mm')
  return language === 'zh-CN'
    ? `${local.year}年${local.month}月${local.day}日 ${time}`
    : `${local.day} ${MONTHS[local.month - 1]} ${local.year}, ${time}`
}

import type { FieldError } from '../http/problem.js'
import type { Language, NotificationKind } from './kinds.js'

export interface Template {
  subject: string
  text: string
}

export type TemplateKey = `${NotificationKind}/${Language}`
/** An admin's overrides, by `kind/language`; what is not there is the shipped template. */
export type TemplateOverrides = ReadonlyMap<string, Template & { updatedAt: Date }>

export const PLACEHOLDERS = ['reference', 'promisedBy', 'summary', 'customerName', 'reason'] as const
export type Placeholder = (typeof PLACEHOLDERS)[number]
export type TemplateValues = Record<Placeholder, string>

/** The templates that ship, for every kind in both languages. */
export const DEFAULT_TEMPLATES: Record<NotificationKind, Record<Language, Template>> = {
  complaint_logged: {
    'zh-CN': {
      subject: '您的投诉已受理（{{reference}}）',
      text: '{{customerName}}，您好：您的投诉已受理，编号 {{reference}}。我们将在 {{promisedBy}} 前答复您。',
    },
    en: {
      subject: 'We have logged your complaint ({{reference}})',
      text: 'Dear {{customerName}}, your complaint is logged as {{reference}}. We will answer you by {{promisedBy}}.',
    },
  },
  promise_extended: {
    'zh-CN': {
      subject: '投诉 {{reference}} 的答复时间已调整',
      text: '{{customerName}}，您好：关于投诉 {{reference}}，我们需要更多时间（{{reason}}）。新的答复时间为 {{promisedBy}}。',
    },
    en: {
      subject: 'New answer time for your complaint {{reference}}',
      text: 'Dear {{customerName}}, we need more time for your complaint {{reference}} ({{reason}}). We will answer you by {{promisedBy}}.',
    },
  },
  promise_missed: {
    'zh-CN': {
      subject: '关于投诉 {{reference}} 的致歉',
      text: '{{customerName}}，您好：非常抱歉，我们未能按承诺的时间答复您的投诉 {{reference}}。您的投诉已转交资深同事优先处理。',
    },
    en: {
      subject: 'Our apologies about your complaint {{reference}}',
      text: 'Dear {{customerName}}, we are sorry: we did not answer your complaint {{reference}} when we promised. ' +
        'A senior colleague now handles it first.',
    },
  },
  complaint_resolved: {
    'zh-CN': {
      subject: '您的投诉 {{reference}} 已处理',
      text: '{{customerName}}，您好：您的投诉 {{reference}} 已处理：{{summary}}。感谢您的耐心。',
    },
    en: {
      subject: 'Your complaint {{reference}} is resolved',
      text: 'Dear {{customerName}}, your complaint {{reference}} is resolved: {{summary}}. Thank you for your patience.',
    },
  },
  awaiting_reminder: {
    'zh-CN': {
      subject: '投诉 {{reference}}：我们在等您的回复',
      text: '{{customerName}}，您好：关于投诉 {{reference}}，我们还在等您的回复，请与我们联系。',
    },
    en: {
      subject: 'Complaint {{reference}}: we are waiting to hear from you',
      text: 'Dear {{customerName}}, about your complaint {{reference}}: we are still waiting for your answer. Please get in touch.',
    },
  },
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/** The problems of an admin's template: an unknown placeholder anywhere, or a text without `{{reference}}`. */
export function templateErrors(template: Template): FieldError[] {
  const errors: FieldError[] = []
  for (const field of ['subject', 'text'] as const) {
    const unknown = [...template[field].matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name))
    if (unknown.length > 0) {
      errors.push({
        field: `body.${field}`,
        message: `uses unknown placeholder${unknown.length > 1 ? 's' : ''} ${[...new Set(unknown)].map((n) => `{{${n}}}`).join(', ')}; ` +
          `known: ${PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}`,
      })
    }
  }
  if (![...template.text.matchAll(PLACEHOLDER)].some((m) => m[1] === 'reference')) {
    errors.push({ field: 'body.text', message: 'must contain {{reference}}: the customer needs it to refer to the complaint' })
  }
  return errors
}

export function render(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => values[name as Placeholder] ?? '')
}

/** The template in force for a kind and language: the admin's override, else the shipped one. */
export function templateFor(overrides: TemplateOverrides, kind: NotificationKind, language: Language): Template {
  return overrides.get(`${kind}/${language}`) ?? DEFAULT_TEMPLATES[kind][language]
}

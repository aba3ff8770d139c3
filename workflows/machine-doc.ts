// Renders docs/machine-generated.md from the machine itself: every state's transitions (event, who may send it,
// guard, target, effects) and a Mermaid state diagram. `npm run docs:machine` writes it; a test fails when the
// committed file differs from what the machine says (test/workflows/machine-doc.test.ts).
import { complaintMachine, ROLE_MAY } from './complaint.machine.js'

type GuardSpec = string | { type?: string; params?: unknown } | ((...args: unknown[]) => unknown) & { guards?: GuardSpec[]; name?: string }
type ActionSpec = string | { type?: string; params?: Record<string, unknown> } | ((...args: unknown[]) => unknown) & { name?: string }

function guardText(guard: unknown): string {
  const spec = guard as GuardSpec
  if (typeof spec === 'string') return spec
  if (typeof spec === 'function') {
    const parts = (spec.guards ?? []).map(guardText)
    if (spec.name === 'and') return parts.join(' && ')
    if (spec.name === 'or') return `(${parts.join(' || ')})`
    if (spec.name === 'not') return `!${parts[0]}`
    return spec.name || '(inline)'
  }
  const params = spec.params && typeof spec.params === 'object' ? Object.values(spec.params as Record<string, unknown>).join(', ') : ''
  return `${spec.type}${params ? `(${params})` : ''}`
}

function actionText(action: unknown): string {
  const spec = action as ActionSpec
  if (typeof spec === 'string') return spec
  if (typeof spec === 'function') return spec.name || '(inline)'
  const params = spec.params ? Object.values(spec.params).join(', ') : ''
  return `${spec.type}${params ? `(${params})` : ''}`
}

const cell = (text: string) => text.replaceAll('|', '\\|')

export function renderMachineDoc(): string {
  const lines = [
    '# The complaint machine, as the code says it',
    '',
    'Generated from `workflows/complaint.machine.ts` by `npm run docs:machine` (do not edit: a test fails when this',
    'file is not what the machine says). "who": the roles that may send the event (`ROLE_MAY`); "guard": every',
    'condition, in order, that must hold; transitions of one event are tried top to bottom, the first that passes wins;',
    '"stays": the state does not change. Entry and exit effects run whenever the state is entered or left.',
    '',
    '```mermaid',
    'stateDiagram-v2',
    `  [*] --> ${complaintMachine.root.config.initial as string}`,
  ]
  const edges = new Map<string, Set<string>>()
  const tables: string[] = []
  for (const [name, node] of Object.entries(complaintMachine.root.states)) {
    tables.push('', `## ${name}`, '')
    const entry = (node.entry as unknown[]).map(actionText)
    const exit = (node.exit as unknown[]).map(actionText)
    if (entry.length > 0) tables.push(`On entry: ${entry.map((a) => `\`${a}\``).join(', ')}.`, '')
    if (exit.length > 0) tables.push(`On exit: ${exit.map((a) => `\`${a}\``).join(', ')}.`, '')
    tables.push('| event | who | guard | to | effects |', '| --- | --- | --- | --- | --- |')
    for (const [event, transitions] of node.transitions) {
      for (const transition of transitions) {
        const target = transition.target?.map((t) => t.key).join(', ')
        const to = target ?? 'stays'
        const who = (ROLE_MAY as Record<string, readonly string[]>)[event]?.join(', ') ?? ''
        const guard = transition.guard === undefined ? '' : guardText(transition.guard)
        const effects = (transition.actions as unknown[]).map(actionText).join(', ')
        tables.push(`| ${event} | ${who} | ${cell(guard)} | ${to}${transition.reenter && target === name ? ' (re-entered)' : ''} | ${cell(effects)} |`)
        if (target) {
          const key = `${name} --> ${target}`
          edges.set(key, (edges.get(key) ?? new Set()).add(event))
        }
      }
    }
  }
  for (const [edge, events] of edges) lines.push(`  ${edge}: ${[...events].join(', ')}`)
  lines.push('```', ...tables, '')
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(renderMachineDoc())

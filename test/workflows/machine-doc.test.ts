import { readFileSync } from 'node:fs'
import t from 'tap'
import { renderMachineDoc } from '../../workflows/machine-doc.js'
import { COMPLAINT_STATES } from '../../workflows/complaint.machine.js'

t.test('docs/machine-generated.md is what the machine says (npm run docs:machine rewrites it)', async (t) => {
  const committed = readFileSync(new URL('../../docs/machine-generated.md', import.meta.url), 'utf8')
  const rendered = renderMachineDoc()
  t.ok(committed === rendered, 'docs/machine-generated.md is current: run `npm run docs:machine` and commit it')
  for (const state of COMPLAINT_STATES) t.match(rendered, `\n## ${state}\n`, `${state} has its table`)
  t.match(rendered, '  received --> logged: LOG\n', 'the diagram has the intake edge')
  t.match(rendered, '| ACKNOWLEDGE | supervisor | notAcknowledged && supervisorAtLevel |', 'guards are spelled out')
})

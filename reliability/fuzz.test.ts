// Property-based fuzzing of every operation in openapi.yaml against the real app (listening on loopback, fresh
// database, shared Redis). Each request starts from a valid-looking body, parameters and headers and breaks some of
// them: wrong types, missing and extra fields, huge and unicode strings, numbers out of range and 1e999 as raw JSON
// text, bad ids and cursors, If-Match and Idempotency-Key values, wrong content types, and each role's token.
// What must hold: no 5xx; every refusal is problem+json with a `code`; a refused request wrote nothing; a body that
// certainly breaks the schema is refused (no coercion); a validation answer lists at most 20 errors.
// Seeded; FUZZ_RUNS (default 500) requests spread over the operations. `npm run fuzz` runs a long one.
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { sql } from 'kysely'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { problemCode, request, type Answer } from './helpers/http.js'
import { deref, fastifyPath, OPERATIONS, type Operation } from './helpers/openapi.js'
import { certainlyInvalid, deleteAt, paths, sample, schemaAt, setAt, type SampleContext } from './helpers/sample.js'
import { served } from './helpers/served.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 500)
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127)
const ROLES = ['admin', 'agent', 'supervisor', 'integration'] as const
type Who = (typeof ROLES)[number] | 'none' | 'bogus'

const PRINTABLE = fc.constantFrom(...Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)))
const headerText = fc.string({ unit: PRINTABLE, maxLength: 300 })
const STRANGE = ['', ' ', 'null', 'true', '0', '-1', '1e999', '-1e999', 'NaN', '99999999999999999999', "' or 1=1 --", '<script>x</script>',
  '%00', '../../etc/passwd', '快递员态度差', '😀'.repeat(40), 'x'.repeat(5_000), '\u202e', 'ÿ', '2026-13-45T99:99:99Z']
const strange = fc.oneof(fc.constantFrom(...STRANGE), fc.string({ unit: 'grapheme', maxLength: 40 }))
const BAD_IDS = ['abc', '0', '-1', '1e999', "1' or '1'='1", '%00', 'ü', 'x'.repeat(3_000), '..', '00000000-0000-0000-0000-000000000000',
  'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ', '0000000000000000000000000000000g']
const CURSORS = ['', 'abc', 'eyJpZCI6IngifQ', Buffer.from('{"createdAt":"x","id":1e999}').toString('base64url'), 'x'.repeat(2_000), '%ZZ', '😀']
const IF_MATCH = ['"1"', '"2"', '"0"', '"-1"', '"abc"', 'W/"1"', '*', '', '"1e999"', '"99999999999999999999"', '1', `"${'9'.repeat(400)}"`]
const IDEMPOTENCY = ['', ' ', 'k'.repeat(300), 'ÿ', '\t', 'same-key']
const WRONG_VALUES: unknown[] = [true, false, null, 0, -1, 1.5, '1', '80', 'true', [], {}, 'x'.repeat(20_000), '快递😀'.repeat(30), 1e308, -1e308,
  2 ** 53 + 2, '', { nested: { deeper: [1, 2, 3] } }]
const RAW_NUMBERS = ['1e999', '-1e999', '1e-999', '9007199254740993', '-0', '1.0000000000000002', '1E400']
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', 'application/problem+json', '']
const RAW_SENTINEL = '__fuzz_raw_number__'

interface Built {
  who: Who
  url: string
  headers: Record<string, string>
  body?: string
  /** Why this request must be refused, when it certainly breaks the contract. */
  mustRefuse?: string
  label: string
}

interface Violation {
  op: string
  rule: string
  status: number
  code?: string | undefined
  request: string
}

t.test(`fuzzing every operation of openapi.yaml (${RUNS} requests, seed ${SEED})`, async (t) => {
  const { base, routes, tokens, testApp } = await served(t)
  const { call, admin, db } = testApp

  // Things that exist, so that some requests go past the lookups.
  const integration = (await call('POST', '/v1/users', admin, { name: 'fuzz integration', role: 'integration' })).json() as { id: string; token: string; webhookSecret: string }
  const victim = (await call('POST', '/v1/users', admin, { name: 'fuzz victim', role: 'agent' })).json() as { id: string }
  const complaintIds: string[] = []
  for (let i = 0; i < 3; i++) {
    const created = await call('POST', '/v1/complaints', tokens.agent, {
      customer: { name: `Fuzz ${i}`, phone: `+86 138 0013 80${i}0` }, category: 'delivery', summary: `fuzz ${i}`,
    })
    complaintIds.push((created.json() as { id: string }).id)
  }
  const incident = await call('POST', '/v1/incidents', tokens.supervisor, { title: 'fuzz incident', category: 'delivery' })
  const incidentId = incident.statusCode === 201 ? (incident.json() as { id: string }).id : randomUUID()
  const endpoint = await call('POST', '/v1/webhook-endpoints', admin, { url: 'https://example.com/hooks/hotline', events: ['complaint.received'] })
  const endpointId = endpoint.statusCode === 201 ? (endpoint.json() as { id: string }).id : randomUUID()
  const tokenOf: Record<Who, string | undefined> = {
    admin: tokens.admin.token, agent: tokens.agent.token, supervisor: tokens.supervisor.token, integration: integration.token,
    none: undefined, bogus: 'not-a-token',
  }
  const signer = new Webhook(integration.webhookSecret)

  // A cheap fingerprint of every table: its row count, and its newest updated_at and version sum where it has them.
  const tables = (await sql<{ tableName: string; columns: string[] }>`
    select table_name, array_agg(column_name::text) as columns from information_schema.columns
     where table_schema = 'public' and table_name not like 'kysely%' group by table_name order by table_name`.execute(db)).rows
  const fingerprintSql = `select json_build_object(${tables.map(({ tableName: name, columns }) =>
    `'${name}', (select json_build_array(count(*)${columns.includes('updated_at') ? ', max(updated_at)' : ''}${columns.includes('version') ? ', sum(version)' : ''}) from "${name}")`).join(', ')}) as f`
  const fingerprint = async () => JSON.stringify((await sql.raw<{ f: unknown }>(fingerprintSql).execute(db)).rows[0]!.f)

  const idFor = (op: Operation, name: string): string => {
    if (name === 'integrationId') return integration.id
    if (name === 'complaintId') return complaintIds[0]!
    if (name === 'deliveryId') return randomUUID()
    if (op.path.startsWith('/v1/users/')) return victim.id
    if (op.path.startsWith('/v1/webhook-endpoints/')) return endpointId
    if (op.path.startsWith('/v1/incidents/')) return incidentId
    return complaintIds[1]!
  }
  const ctx = (op: Operation): SampleContext => ({ ids: { id: idFor(op, 'id'), assigneeId: tokens.supervisor.id, integrationId: integration.id, complaintId: complaintIds[2]!, complaintIds: complaintIds[2]! } })

  /** The starting point of a body: a valid one where the schema alone does not say enough. */
  const validBody = (op: Operation): unknown => {
    const due = (d: string) => ({ urgent: d, high: d, normal: d, low: d })
    const day: [string, string][] = [['09:00', '18:00']]
    switch (op.operationId) {
      case 'putSlaPolicy':
        return {
          calendar: { timezone: 'UTC', week: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] }, holidays: [] },
          response: due('P3D'), businessHours: { urgent: false, high: true, normal: true, low: true }, warnAt: 0.8, triage: 'PT1H',
          escalationAck: 'PT30M', escalationResponse: 'P1D', followUpAfter: 'PT24H', followUpAttempts: 3, followUpRetry: 'PT2H', maxLevel: 3,
        }
      case 'createComplaint':
      case 'receiveWebhookComplaint':
        return { customer: { name: 'Li Wei', phone: '+86 138 0013 8000' }, category: 'delivery', summary: 'Parcel arrived damaged',
          ...(op.operationId === 'receiveWebhookComplaint' ? { externalRef: `ext-${randomUUID()}` } : {}) }
      case 'createUser':
        return { name: 'fuzzed user', role: 'agent' }
      case 'resolveComplaint':
        return { summary: 'refund agreed', compensation: { kind: 'refund', amount: 10, currency: 'CNY' } }
      default:
        return op.body ? sample(op.body, ctx(op)) : undefined
    }
  }

  const requestFor = (op: Operation): fc.Arbitrary<Built> => {
    const route = routes.get(`${op.method} ${fastifyPath(op.path)}`)
    const allowed = (route?.roles ?? ROLES) as readonly Who[]
    const who = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...allowed) }, { weight: 2, arbitrary: fc.constantFrom<Who>(...ROLES, 'none', 'bogus') })
    const pathParams = op.parameters.filter((p) => p.in === 'path')
    const pathValues = fc.tuple(...pathParams.map((p) =>
      fc.oneof({ weight: 5, arbitrary: fc.constant(idFor(op, p.name)) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 2, arbitrary: fc.constantFrom(...BAD_IDS) }, { weight: 1, arbitrary: strange })))
    const queryParams = op.parameters.filter((p) => p.in === 'query')
    const queryValues = fc.tuple(...queryParams.map((p) => fc.option(fc.oneof(
      { weight: 3, arbitrary: fc.constant(String(sample(p.schema, ctx(op), p.name))) },
      { weight: 2, arbitrary: strange },
      { weight: 1, arbitrary: fc.constantFrom(...(p.name === 'cursor' ? CURSORS : ['-5', '0', '101', '1001', '1e999', '2.5', 'true'])) },
    ), { freq: 2 })))
    const declares = (name: string) => op.parameters.some((p) => p.in === 'header' && p.name === name)
    const ifMatch = fc.option(fc.oneof(fc.constantFrom(...IF_MATCH), headerText), { freq: declares('if-match') ? 2 : 10 })
    const idempotency = fc.option(fc.oneof(fc.uuid(), fc.constantFrom(...IDEMPOTENCY), headerText), { freq: declares('idempotency-key') ? 2 : 10 })
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(op.method)
    const valid = hasBody ? validBody(op) : undefined
    const leafPaths = valid === undefined ? [] : paths(valid)
    const mutation = fc.record({
      kind: fc.constantFrom('valid', 'drop', 'extra', 'retype', 'retype', 'raw', 'manyFields', 'topLevel'),
      at: fc.nat(),
      replacement: fc.constantFrom(...WRONG_VALUES),
      extraKey: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'version', 'id', 'state', 'role', 'isAdmin'), fc.string({ maxLength: 20 })),
      raw: fc.constantFrom(...RAW_NUMBERS),
      topLevel: fc.constantFrom('[]', '"x"', '1', 'null', '', '{', '{"a":', '['.repeat(5_000), '{"__proto__":{"admin":true}}', 'HUGE'),
      contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
    })
    const signature = fc.constantFrom('valid', 'valid', 'garbage', 'none', 'stale')
    return fc.record({ who, pathValues, queryValues, ifMatch, idempotency, mutation, signature, extraQuery: fc.option(strange, { freq: 8 }) })
      .map(({ who, pathValues, queryValues, ifMatch, idempotency, mutation, signature, extraQuery }): Built => {
        let url = op.path
        pathParams.forEach((p, i) => {
          url = url.replace(`{${p.name}}`, encodeURIComponent(pathValues[i]!))
        })
        const query = new URLSearchParams()
        queryParams.forEach((p, i) => {
          if (queryValues[i] !== null) query.set(p.name, queryValues[i]!)
        })
        if (extraQuery !== null) query.set('unexpected', extraQuery)
        if ([...query].length > 0) url += `?${query}`
        const headers: Record<string, string> = {}
        if (ifMatch !== null) headers['if-match'] = ifMatch
        if (idempotency !== null) headers['idempotency-key'] = idempotency
        let body: string | undefined
        let mustRefuse: string | undefined
        let label = 'no body'
        if (hasBody) {
          const m = mutation
          const bodySchema = op.body ? deref(op.body) : undefined
          let value = valid
          label = m.kind
          if (m.kind === 'topLevel') {
            body = m.topLevel === 'HUGE' ? JSON.stringify({ summary: 'x'.repeat(300_000) }) : m.topLevel
            label = `top level ${m.topLevel.slice(0, 20)}`
            if (m.topLevel === 'HUGE') mustRefuse = 'a body over the size limit'
            else if (['{', '{"a":'].includes(m.topLevel) || m.topLevel.startsWith('[[')) mustRefuse = 'a body that is not JSON (or nested past reason)'
            else if (bodySchema?.type === 'object' && ['[]', '"x"', '1'].includes(m.topLevel)) mustRefuse = 'a JSON body of the wrong type'
          } else if (m.kind === 'manyFields') {
            value = { ...(valid as object), ...Object.fromEntries(Array.from({ length: 15_000 }, (_, i) => [`f${i}`, i])) }
            if (bodySchema?.additionalProperties === false) mustRefuse = '15,000 unknown fields'
          } else if (leafPaths.length > 0 && m.kind !== 'valid') {
            const path = leafPaths[m.at % leafPaths.length]!
            const parentSchema = schemaAt(op.body!, path.slice(0, -1))
            const key = path[path.length - 1]!
            label = `${m.kind} ${path.join('.')}`
            if (m.kind === 'drop') {
              value = deleteAt(valid, path)
              if (typeof key === 'string' && Array.isArray(parentSchema?.required) && parentSchema.required.includes(key)) mustRefuse = `required ${path.join('.')} missing`
            } else if (m.kind === 'extra') {
              const target = path.slice(0, -1)
              const objectSchema = schemaAt(op.body!, target)
              const holder = target.length === 0 ? valid : target.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], valid)
              if (holder && typeof holder === 'object' && !Array.isArray(holder)) {
                value = setAt(valid, [...target, m.extraKey], 'extra')
                label = `extra ${[...target, m.extraKey].join('.')}`
                if (objectSchema?.additionalProperties === false && !Object.hasOwn((objectSchema.properties ?? {}) as object, m.extraKey)) mustRefuse = `unknown field ${m.extraKey}`
              }
            } else if (m.kind === 'retype') {
              value = setAt(valid, path, m.replacement)
              const why = certainlyInvalid(schemaAt(op.body!, path), m.replacement)
              label = `${path.join('.')} = ${JSON.stringify(m.replacement)?.slice(0, 30)}`
              if (why) mustRefuse = `${path.join('.')}: ${why}`
            } else if (m.kind === 'raw') {
              value = setAt(valid, path, RAW_SENTINEL)
              label = `${path.join('.')} = ${m.raw} (raw)`
              const why = certainlyInvalid(schemaAt(op.body!, path), Number(m.raw))
              if (why) mustRefuse = `${path.join('.')}: ${why}`
            }
          }
          if (body === undefined && value !== undefined) body = JSON.stringify(value).replace(`"${RAW_SENTINEL}"`, m.raw)
          if (body !== undefined) {
            headers['content-type'] = m.contentType
            if (!m.contentType.startsWith('application/json') && op.body && !mustRefuse) mustRefuse = `content type ${m.contentType || '(none)'}`
          }
        }
        if (op.operationId.startsWith('receiveWebhook')) {
          const id = `msg_${randomUUID()}`
          const at = signature === 'stale' ? new Date(Date.now() - 3_600_000) : new Date()
          if (signature !== 'none') {
            headers['webhook-id'] = id
            headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000))
            headers['webhook-signature'] = signature === 'garbage' ? 'v1,Zm9v' : signer.sign(id, at, body ?? '')
          }
        }
        return { who, url, headers, ...(body === undefined ? {} : { body }), ...(mustRefuse ? { mustRefuse } : {}), label }
      })
  }

  /** The issue's own reproductions, tried first on their operations (fast-check `examples`), then the random ones. */
  const regressions = (op: Operation): Built[] => {
    const json = (value: unknown, raw?: [string, string]) => {
      const text = JSON.stringify(value)
      return raw ? text.replace(`"${raw[0]}"`, raw[1]) : text
    }
    const as = (who: Who, url: string, body: string, mustRefuse: string, label: string): Built =>
      ({ who, url, headers: { 'content-type': 'application/json' }, body, mustRefuse, label })
    const policy = validBody(op) as Record<string, unknown>
    switch (op.operationId) {
      case 'putSlaPolicy':
        return [
          as('admin', op.path, json({ ...policy, maxLevel: '__raw__' }, ['__raw__', '1e999']), 'maxLevel: 1e999', 'maxLevel = 1e999 (raw)'),
          as('admin', op.path, json({ ...policy, maxLevel: '1e999' }), 'maxLevel: a string', 'maxLevel = "1e999"'),
          as('admin', op.path, json({ ...policy, followUpAttempts: '__raw__' }, ['__raw__', '1e999']), 'followUpAttempts: 1e999', 'followUpAttempts = 1e999 (raw)'),
          as('admin', op.path, json({ ...policy, maxLevel: true }), 'maxLevel: a boolean', 'maxLevel = true'),
        ]
      case 'resolveComplaint':
        return [as('supervisor', `/v1/complaints/${complaintIds[0]}/resolve`, json({ summary: 'refund', compensation: { kind: 'refund', amount: '80' } }),
          'compensation.amount: a string', 'compensation.amount = "80"')]
      case 'getComplaint':
        return [{ who: 'agent', url: `/v1/complaints/${'x'.repeat(3_000)}`, headers: {}, label: 'a 3,000-character id' }]
      case 'escalateComplaint':
        return [as('agent', `/v1/complaints/${complaintIds[1]}/escalate`,
          json(Object.fromEntries([['reason', 'x'], ...Array.from({ length: 15_000 }, (_, i) => [`f${i}`, i])])), '15,000 unknown fields', '15,000 unknown fields')]
      default:
        return []
    }
  }

  const violations: Violation[] = []
  const statuses = new Map<number, number>()
  let sent = 0
  const runsPer = Math.max(4, Math.ceil(RUNS / OPERATIONS.length))
  for (const [index, op] of OPERATIONS.entries()) {
    const found: Violation[] = []
    await fc.assert(fc.asyncProperty(requestFor(op), async (built) => {
      const before = await fingerprint()
      const answer: Answer = await request(base, op.method, built.url, {
        token: tokenOf[built.who], headers: built.headers, ...(built.body === undefined ? {} : { body: built.body }), timeoutMs: 15_000,
      })
      sent++
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
      const code = problemCode(answer)
      const describe = `${op.method} ${built.url.slice(0, 100)} as ${built.who}; ${built.label}${built.body ? ` (${built.body.length} B, ${built.headers['content-type']})` : ''}`
      const fail = (rule: string) => found.push({ op: op.operationId, rule, status: answer.status, code, request: describe })
      if (answer.status === 0) {
        fail(`an answer (got ${answer.error})`)
        return
      }
      if (answer.status >= 500) fail('no 5xx')
      if (answer.status >= 400) {
        if (!code) fail(`a refusal is problem+json with a code (got ${answer.headers.get('content-type')})`)
        if ((await fingerprint()) !== before) fail('a refused request writes nothing')
        const errors = (answer.json as { errors?: unknown[] } | undefined)?.errors
        if (code === 'validation_failed' && Array.isArray(errors) && errors.length > 20) fail(`at most 20 validation errors (got ${errors.length}, ${answer.text.length} B)`)
      } else if (built.mustRefuse) {
        fail(`refused: ${built.mustRefuse}`)
      }
    }), { seed: SEED + index, numRuns: runsPer, endOnFailure: true, examples: regressions(op).map((built) => [built] as [Built]) })
    const byRule = new Map<string, Violation[]>()
    for (const v of found) byRule.set(`${v.rule} [${v.status} ${v.code ?? ''}]`, [...(byRule.get(`${v.rule} [${v.status} ${v.code ?? ''}]`) ?? []), v])
    const summary = [...byRule].map(([rule, list]) => `${rule} x${list.length}, e.g. ${list[0]!.request}`)
    t.same(summary, [], `${op.operationId}: ${runsPer} fuzzed requests hold every rule`)
    violations.push(...found)
  }
  t.comment(`fuzz: ${sent} requests over ${OPERATIONS.length} operations, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${violations.length} violations`)
})

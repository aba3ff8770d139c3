import t from 'tap'
import { setupApp } from '../helpers/app.js'
import { EVENT_TYPES } from '../../src/webhooks/events.js'
import { bodyValidator, type Document, type Media, operationsOf, resolved } from './fixtures/document.js'

// The document as the app generates it (test/openapi/openapi.test.ts holds openapi.yaml to it).
const document = (await setupApp(t)).app.swagger() as unknown as Document

function examplesOf(media: Media): [string, unknown][] {
  if (media.example !== undefined) return [['example', media.example]]
  return Object.entries(media.examples ?? {}).map(([name, example]) => [name, example.value])
}

t.test('every request body has an example, and every example is valid against its own schema as the app validates it', async (t) => {
  const validate = bodyValidator(document)
  let checked = 0
  for (const { label, operation } of operationsOf(document)) {
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
      const examples = examplesOf(media)
      t.ok(examples.length > 0, `${label} ${type} has an example`)
      for (const [name, example] of examples) {
        const { valid, errors } = validate(media.schema, example)
        t.ok(valid, `${label} ${type} ${name} is valid`, { errors })
        checked++
      }
    }
  }
  t.ok(checked >= 40, `${checked} examples checked`)

  // The check itself refuses what the app refuses: no coercion of a JSON body.
  const create = document.paths['/v1/complaints']!.post!.requestBody!.content['application/json']!
  t.notOk(validate(create.schema, { ...(create.examples!.example1!.value as object), severity: 1 }).valid, 'a number for a string is refused')
  t.notOk(validate(create.schema, { ...(create.examples!.example1!.value as object), extra: true }).valid, 'an unknown field is refused')
})

t.test('every operation, header parameter and response header has a description', async (t) => {
  const headers: string[] = []
  for (const { label, operation } of operationsOf(document)) {
    t.ok(operation.description?.trim(), `${label} has a description`)
    for (const parameter of operation.parameters ?? []) {
      const { in: where, name, description } = resolved(document, parameter) as { in: string; name: string; description?: string }
      if (where !== 'header') continue
      headers.push(name.toLowerCase())
      t.ok(description?.trim(), `${label}: header ${name} has a description`)
    }
    for (const [status, answer] of Object.entries(operation.responses)) {
      for (const [name, header] of Object.entries(resolved(document, answer).headers ?? {})) {
        t.ok(resolved(document, header).description?.trim(), `${label} ${status}: header ${name} has a description`)
      }
    }
  }
  for (const name of ['idempotency-key', 'if-match', 'last-event-id', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    t.ok(headers.includes(name), `the ${name} header is documented`)
  }
})

t.test('the document has a webhook per event type, each posting its own payload schema', async (t) => {
  t.same(Object.keys(document.webhooks ?? {}).sort(), [...EVENT_TYPES, 'ping'].sort())
  for (const [type, { post }] of Object.entries(document.webhooks ?? {})) {
    const schema = resolved<{ properties: { type: { const: string } } }>(document, post.requestBody!.content['application/json']!.schema as { $ref: string })
    t.equal(schema.properties.type.const, type, `${type}: its schema is the one of its type`)
    t.ok(post.responses['2XX'] && post.responses.default, `${type}: what the receiver answers`)
    // An event type the machine gained without a word in COMPLAINT_EVENTS (src/webhooks/event.schemas.ts) gets a stopgap.
    t.notMatch(post.description, /^The machine announced/, `${type}: says when it is sent`)
  }
})

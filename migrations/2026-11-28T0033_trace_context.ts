import type { Kysely } from 'kysely'

// Frozen: never import application code here.
//
// The W3C trace context of the transition that wrote a webhook event, when tracing was on (src/tracing): its
// deliveries send it as `traceparent` / `tracestate` whichever job wakes them (the one enqueued after commit, a retry,
// the previous event on the line, the sweep). Null when tracing was off, and for pings.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_events').addColumn('traceparent', 'text').addColumn('tracestate', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_events').dropColumn('traceparent').dropColumn('tracestate').execute()
}

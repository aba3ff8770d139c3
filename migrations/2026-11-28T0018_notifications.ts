import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Telling the customer (issue 13): a customer's language and whether they want messages at all, the messages each
// transition writes in its own statement (sent by the worker after commit, retried on the outbound webhooks'
// schedule), and an admin's overrides of the shipped templates.
export async function up(db: Kysely<any>): Promise<void> {
  // Null: the service's DEFAULT_LANGUAGE, whatever it is when the message is written.
  await sql`alter table customers add column language text check (language in ('zh-CN', 'en'))`.execute(db)
  await sql`alter table customers add column notify boolean not null default true`.execute(db)

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'sms')`))
    // The address as it was when the message was written: a later change of the customer's does not redirect it.
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_until', 'timestamptz')
    .addColumn('retry_since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index notifications_due_idx on notifications (next_attempt_at) where status = 'pending'`.execute(db)
  // Housekeeping forgets settled messages after WEBHOOK_DELIVERY_RETENTION, oldest first.
  await sql`create index notifications_settled_idx on notifications (updated_at) where status <> 'pending'`.execute(db)
  await db.schema.createIndex('notifications_list_idx').on('notifications').columns(['complaint_id', 'created_at desc', 'id desc']).execute()

  await db.schema
    .createTable('notification_templates')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('notification_templates_pk', ['kind', 'language'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notification_templates').execute()
  await db.schema.dropTable('notifications').execute()
  await sql`alter table customers drop column notify`.execute(db)
  await sql`alter table customers drop column language`.execute(db)
}

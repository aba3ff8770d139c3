import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pgcrypto`.execute(db)

  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('agent', 'supervisor', 'admin', 'integration')`))
    .addColumn('level', 'smallint', (c) => c.check(sql`level between 1 and 3`))
    .addColumn('compensation_limit', 'numeric(14, 2)', (c) => c.check(sql`compensation_limit >= 0`))
    .addColumn('teams', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('webhook_secret', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('supervisor_has_level', sql`(role = 'supervisor') = (level is not null)`)
    .execute()

  await db.schema
    .createTable('customers')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text')
    .addColumn('phone', 'text', (c) => c.unique())
    .addColumn('email', 'text', (c) => c.unique())
    .addColumn('external_id', 'text', (c) => c.unique())
    .addColumn('tier', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('customer_has_identity', sql`coalesce(phone, email, external_id) is not null`)
    .execute()

  await db.schema
    .createTable('reference_counters')
    .addColumn('day', 'date', (c) => c.primaryKey())
    .addColumn('last', 'integer', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('complaints')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id'))
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('product', 'text')
    .addColumn('region', 'text')
    .addColumn('team', 'text')
    .addColumn('assignee_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('promised_by', 'timestamptz')
    .addColumn('escalation', 'jsonb')
    .addColumn('resolution', 'jsonb')
    .addColumn('follow_up', 'jsonb')
    .addColumn('close_reason', 'text')
    .addColumn('possible_duplicate_of', 'uuid', (c) => c.references('complaints.id'))
    .addColumn('created_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('integration_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('external_ref', 'text')
    .addColumn('machine_version', 'text', (c) => c.notNull())
    .addColumn('machine_snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('complaints_created_idx').on('complaints').columns(['created_at desc', 'id desc']).execute()
  await db.schema.createIndex('complaints_state_idx').on('complaints').columns(['state', 'created_at desc']).execute()
  await db.schema.createIndex('complaints_customer_idx').on('complaints').columns(['customer_id', 'category']).execute()
  await db.schema.createIndex('complaints_assignee_idx').on('complaints').column('assignee_id').execute()
  await db.schema.createIndex('complaints_integration_idx').on('complaints').column('integration_id').execute()

  await db.schema
    .createTable('complaint_events')
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addPrimaryKeyConstraint('complaint_events_pk', ['complaint_id', 'seq'])
    .execute()
  await db.schema.createIndex('complaint_events_at_idx').on('complaint_events').columns(['at', 'type']).execute()
  // The history is append-only: the database itself refuses to rewrite it.
  await sql`
    create function complaint_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'complaint_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db)
  await sql`
    create trigger complaint_events_no_rewrite before update or delete on complaint_events
    for each row execute function complaint_events_append_only()`.execute(db)
  await sql`
    create trigger complaint_events_no_truncate before truncate on complaint_events
    for each statement execute function complaint_events_append_only()`.execute(db)

  await db.schema
    .createTable('timers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('armed_state', 'text', (c) => c.notNull())
    .addColumn('armed_seq', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('fired_at', 'timestamptz')
    .addColumn('cancelled_at', 'timestamptz')
    .execute()
  await sql`create index timers_pending_idx on timers (due_at) where fired_at is null and cancelled_at is null`.execute(db)
  await sql`create index timers_complaint_pending_idx on timers (complaint_id) where fired_at is null and cancelled_at is null`.execute(db)

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['idempotency_keys', 'timers', 'complaint_events', 'complaints', 'reference_counters', 'customers', 'users']) {
    await db.schema.dropTable(table).ifExists().cascade().execute()
  }
  await sql`drop function if exists complaint_events_append_only()`.execute(db)
}

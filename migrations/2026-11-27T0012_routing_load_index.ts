import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Routing counts each supervisor's open escalations in the batch's transaction, under the routing lock. Without an
// index that count read every complaint (a sequential scan per routing batch, 1,000,000 rows in a large history):
// this one holds only the escalated complaints, by assignee. (Follow-up calls are counted through
// complaints_assignee_state_created_idx.)
export async function up(db: Kysely<any>): Promise<void> {
  await sql`set local statement_timeout = 0`.execute(db)
  await sql`
    create index if not exists complaints_escalated_assignee_idx on complaints ((escalation ->> 'assigneeId'))
    where state = 'escalated'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists complaints_escalated_assignee_idx`.execute(db)
}

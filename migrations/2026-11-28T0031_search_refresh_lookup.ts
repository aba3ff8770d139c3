import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// complaint_search_refresh (migration 0025) joined `customers` to name a complaint's customer; a SQL function's
// statement is planned with its parameters unknown and, on tables never analysed (autovacuum is off on these
// machines), the planner took a hash join over a sequential scan of every customer, on every intake (measured:
// 5 million customer rows read for 12,000 requests, bench/notify-cost.ts). The name is now a scalar subquery: one
// primary-key lookup per complaint, whatever the statistics say. Otherwise the function is 0025's.
const REFRESH = (customerName: string) => sql`
  create or replace function complaint_search_refresh(ids uuid[]) returns void language sql as $$
    insert into complaint_search as s (complaint_id, created_at, title, body, tokens)
    select d.id, d.created_at, d.title, d.body, search_document_tokens(d.title, d.body)
    from (
      select c.id, c.created_at, search_title(c.summary, ${sql.raw(customerName)}, c.reference) as title,
        search_body(c.description, array(select e.data ->> 'text' from complaint_events e
          where e.complaint_id = c.id and e.type = 'complaint.note_added' order by e.seq)) as body
      from complaints c ${sql.raw(customerName === 'cu.name' ? 'join customers cu on cu.id = c.customer_id' : '')}
      where c.id = any (ids)
    ) d
    on conflict (complaint_id) do update set title = excluded.title, body = excluded.body, tokens = excluded.tokens
  $$`

export async function up(db: Kysely<any>): Promise<void> {
  await REFRESH('(select cu.name from customers cu where cu.id = c.customer_id)').execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await REFRESH('cu.name').execute(db)
}

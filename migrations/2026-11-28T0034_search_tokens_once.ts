import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// The search row's refresh was about 45 % of an intake's Postgres CPU (bench/notify-cost.ts with the insert trigger
// disabled, issue 11), and most of it was not the work but its repetition:
// - search_document_tokens (0025) ran search_tokens twice, over title || body and over the title again, each call a
//   non-inlined SQL function with its own executor start-up; it is now one statement that reads the title's and the
//   body's words once, tags the title's, and aggregates both token sets in one pass. Same tokens, same order (a test
//   holds it to tokens(title || ' ' || body) || '^' || tokens(title), which is how 0025 defines it).
// - complaint_search_refresh's subquery was flattened into the insert, so title and body (with the customer lookup,
//   the notes subquery and the reference's fragments) were computed once for their columns and again for the
//   tokens; OFFSET 0 keeps the subquery whole, computed once per complaint.
// Measured on backend CPU time, 200 varied documents: 0.85 ms -> 0.37 ms a document including its text.
// jit off: a planner without statistics guesses a thousand rows per set-returning function and may find the statement
// dear enough to compile, which costs milliseconds a call (seen for a similar function while writing this one).
const CJK_TEST = (c: string) =>
  `(${c} between 12352 and 12543 or ${c} between 13312 and 40959 or ${c} between 44032 and 55215 or ${c} between 63744 and 64255 or ${c} between 131072 and 262143)`

const DOCUMENT_TOKENS = sql.raw(`
  create or replace function search_document_tokens(title text, body text) returns text[]
  language sql immutable parallel safe set jit = off as $$
    select coalesce(array_agg(distinct tok collate "C"), '{}') ||
      coalesce(array_agg(distinct ('^' || tok) collate "C") filter (where in_title), '{}')
    from (
      select w, bool_or(in_title) as in_title, length(w) as len, ${CJK_TEST('ascii(w)')} as cjk
      from (select w collate "C" as w, true as in_title from string_to_table(translate(title, E'\\n', ' '), ' ') w
            union all
            select w collate "C", false from string_to_table(translate(body, E'\\n', ' '), ' ') w) words
      where w <> ''
      group by w) d,
      generate_series(1, case when cjk then 2 * len - 1 else least(len, 16) end) n,
      lateral (select case when cjk then (case when n <= len then substr(w, n, 1) else substr(w, n - len, 2) end)
        else substr(w, 1, n) end as tok) t
  $$`)

const DOCUMENT_TOKENS_0025 = sql.raw(`
  create or replace function search_document_tokens(title text, body text) returns text[] language sql immutable parallel safe as $$
    select search_tokens(title || ' ' || body) || array(select '^' || x from unnest(search_tokens(title)) x)
  $$`)

const REFRESH = (keepWhole: boolean) => sql.raw(`
  create or replace function complaint_search_refresh(ids uuid[]) returns void language sql as $$
    insert into complaint_search as s (complaint_id, created_at, title, body, tokens)
    select d.id, d.created_at, d.title, d.body, search_document_tokens(d.title, d.body)
    from (
      select c.id, c.created_at, search_title(c.summary, (select cu.name from customers cu where cu.id = c.customer_id), c.reference) as title,
        search_body(c.description, array(select e.data ->> 'text' from complaint_events e
          where e.complaint_id = c.id and e.type = 'complaint.note_added' order by e.seq)) as body
      from complaints c
      where c.id = any (ids)
      ${keepWhole ? 'offset 0' : ''}
    ) d
    on conflict (complaint_id) do update set title = excluded.title, body = excluded.body, tokens = excluded.tokens
  $$`)

export async function up(db: Kysely<any>): Promise<void> {
  await DOCUMENT_TOKENS.execute(db)
  await REFRESH(true).execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await REFRESH(false).execute(db)
  await DOCUMENT_TOKENS_0025.execute(db)
}

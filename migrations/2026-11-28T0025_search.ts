import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Search (issue 15, docs/search.md): one row per complaint in complaint_search, kept by triggers in the transaction
// that changes what it is made of, so the writer's statements (and their count) stay as they are:
//   title  the summary, the customer's name and every fragment of the reference (what names a complaint)
//   body   the description and the notes (complaint.note_added)
//   tokens what the GIN index holds: every character and character pair of a CJK run, every prefix (at most 16
//          characters) of any other word, for title and body; the title's again with a '^' in front, so that the
//          first relevance tier (terms found in the title) is an index probe of its own.
// Text is normalised in one place, search_normalise: NFKC, lower case (the database's C.UTF-8 ctype knows non-ASCII
// letters), every run of non-alphanumerics a single space, and a space where a CJK run meets another word. pg_trgm
// was measured and set aside (docs/search.md): it cannot serve a term shorter than three characters from its index.
//
// The query side (search_query) turns the caller's q into the tokens the GIN index must hold and one LIKE pattern per
// term, which rechecks what tokens cannot say (the order of a CJK run's pairs, a word boundary).
const CJK_TEST = (c: string) =>
  `(${c} between 12352 and 12543 or ${c} between 13312 and 40959 or ${c} between 44032 and 55215 or ${c} between 63744 and 64255 or ${c} between 131072 and 262143)`
const CJK_CLASS = '\\u3040-\\u30ff\\u3400-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff\\U00020000-\\U0003ffff'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`set local statement_timeout = 0`.execute(db)
  // The backfill's statements look dear to a planner without statistics: compiling them (JIT) would cost more than it saves.
  await sql`set local jit = off`.execute(db)
  await sql.raw(`
    create function search_normalise(t text) returns text language sql immutable parallel safe strict as $$
      select btrim(regexp_replace(regexp_replace(regexp_replace(lower(normalize(t, NFKC)),
        '[^[:alnum:]]+', ' ', 'g'),
        '([${CJK_CLASS}])(?=[^ ${CJK_CLASS}])', '\\1 ', 'g'),
        '([^ ${CJK_CLASS}])(?=[${CJK_CLASS}])', '\\1 ', 'g'))
    $$`).execute(db)
  // The tokens of normalised text (words separated by spaces or newlines). Sorted and compared bytewise (collate "C"),
// as the index compares them: the database's C.UTF-8 collation calls strcoll, a third of the time here.
  await sql.raw(`
    create function search_tokens(doc text) returns text[] language sql immutable parallel safe strict as $$
      select coalesce(array_agg(distinct (case
        when cjk then (case when n <= len then substr(w, n, 1) else substr(w, n - len, 2) end)
        else substr(w, 1, n) end) collate "C"), '{}')
      from (select w, length(w) as len, ${CJK_TEST('ascii(w)')} as cjk
            from (select distinct w collate "C" as w from string_to_table(translate(doc, E'\\n', ' '), ' ') w where w <> '') d) words,
        generate_series(1, case when cjk then 2 * len - 1 else least(len, 16) end) n
    $$`).execute(db)
  // Every suffix of the normalised reference, one a line: '0427' and '1128-000427' are word starts, as 'c 20261128' is.
  await sql.raw(`
    create function search_fragments(t text) returns text language sql immutable parallel safe strict as $$
      select coalesce(string_agg(' ' || substr(n, k), E' \\n' order by k), '')
      from (select search_normalise(t) as n) x, generate_series(1, length(n)) k
      where substr(n, k, 1) <> ' '
    $$`).execute(db)
  // A field a line, each between spaces, so that a pattern's leading space is a word start and no term spans fields.
  await sql.raw(`
    create function search_title(summary text, customer_name text, reference text) returns text language sql immutable parallel safe as $$
      select ' ' || coalesce(search_normalise(summary), '') || E' \\n ' || coalesce(search_normalise(customer_name), '') ||
        E' \\n' || coalesce(search_fragments(reference), '') || ' '
    $$`).execute(db)
  await sql.raw(`
    create function search_body(description text, notes text[]) returns text language sql immutable parallel safe as $$
      select ' ' || coalesce(search_normalise(description), '') || ' ' ||
        coalesce((select string_agg(E'\\n ' || search_normalise(note) || ' ', '') from unnest(notes) note), '')
    $$`).execute(db)
  await sql.raw(`
    create function search_document_tokens(title text, body text) returns text[] language sql immutable parallel safe as $$
      select search_tokens(title || ' ' || body) || array(select '^' || x from unnest(search_tokens(title)) x)
    $$`).execute(db)
  // jit off: the planner's guesses for the set-returning functions inside make its cost look high enough to compile
  // it, 300 ms each call, for a statement that takes under a millisecond (measured at 1,000,000 complaints).
  // q -> its terms (whitespace-separated parts), each a LIKE pattern over title/body (a term that starts with a
  // non-CJK word matches at a word start; a CJK run anywhere), and the tokens the index must hold for all of them.
  await sql.raw(`
    create function search_query(q text, out plain text[], out titled text[], out patterns text[])
    language sql immutable parallel safe strict set jit = off as $$
      with terms as (
        select n, string_to_array(n, ' ') as words
        from regexp_split_to_table(normalize(q, NFKC), '\\s+') chunk, search_normalise(chunk) n
        where n <> ''
      ), tokens as (
        select distinct case when ${CJK_TEST('ascii(w)')}
          then case when length(w) = 1 then w else substr(w, k, 2) end
          else substr(w, 1, 16) end as token
        from terms, unnest(words) w, generate_series(1, greatest(length(w) - 1, 1)) k
        where ${CJK_TEST('ascii(w)')} or k = 1
      )
      select coalesce((select array_agg(token order by token) from tokens), '{}'),
        coalesce((select array_agg('^' || token order by token) from tokens), '{}'),
        coalesce((select array_agg(case when ${CJK_TEST('ascii(n)')} then '%' else '% ' end || n || '%') from terms), '{}')
    $$`).execute(db)

  await sql`
    create table complaint_search (
      complaint_id uuid primary key references complaints (id) on delete cascade,
      created_at timestamptz not null,
      title text not null,
      body text not null,
      tokens text[] collate "C" not null
    )`.execute(db)
  // What a complaint's row is made of, read from the complaint, its customer and its notes.
  await sql`
    create function complaint_search_refresh(ids uuid[]) returns void language sql as $$
      insert into complaint_search as s (complaint_id, created_at, title, body, tokens)
      select d.id, d.created_at, d.title, d.body, search_document_tokens(d.title, d.body)
      from (
        select c.id, c.created_at, search_title(c.summary, cu.name, c.reference) as title,
          search_body(c.description, array(select e.data ->> 'text' from complaint_events e
            where e.complaint_id = c.id and e.type = 'complaint.note_added' order by e.seq)) as body
        from complaints c join customers cu on cu.id = c.customer_id
        where c.id = any (ids)
      ) d
      on conflict (complaint_id) do update set title = excluded.title, body = excluded.body, tokens = excluded.tokens
    $$`.execute(db)
  await sql`
    create function complaint_search_on_insert() returns trigger language plpgsql as $$
    begin
      perform complaint_search_refresh(array(select id from added));
      return null;
    end $$`.execute(db)
  await sql`
    create function complaint_search_on_change() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'customers' then
        perform complaint_search_refresh(array(select id from complaints where customer_id = new.id));
      elsif tg_table_name = 'complaints' then
        perform complaint_search_refresh(array[new.id]);
      else
        perform complaint_search_refresh(array[new.complaint_id]);
      end if;
      return null;
    end $$`.execute(db)
  // Statement-level for inserts (one call for a batch); row-level with a WHEN for changes, which Postgres checks
  // without calling the function: the transitions that change none of these columns (nearly all) pay nothing.
  await sql`
    create trigger complaints_search_insert after insert on complaints
    referencing new table as added for each statement execute function complaint_search_on_insert()`.execute(db)
  await sql`
    create trigger complaints_search_update after update of summary, description, reference, customer_id on complaints
    for each row when (old.summary is distinct from new.summary or old.description is distinct from new.description
      or old.reference is distinct from new.reference or old.customer_id is distinct from new.customer_id)
    execute function complaint_search_on_change()`.execute(db)
  await sql`
    create trigger complaint_events_search_note after insert on complaint_events
    for each row when (new.type = 'complaint.note_added') execute function complaint_search_on_change()`.execute(db)
  await sql`
    create trigger customers_search_name after update of name on customers
    for each row when (old.name is distinct from new.name) execute function complaint_search_on_change()`.execute(db)

  // Existing complaints, in batches by id (a progress line each when there are many), before the indexes: building
  // them once over the rows is faster than growing them row by row.
  const { rows: [count] } = await sql<{ n: string }>`select count(*) as n from complaints`.execute(db)
  const total = Number(count?.n ?? 0)
  const batch = 20_000
  let done = 0
  let last = '00000000-0000-0000-0000-000000000000'
  const started = Date.now()
  while (done < total) {
    const { rows } = await sql<{ last: string | null; n: string }>`
      with ids as (select id from complaints where id > ${last}::uuid order by id limit ${batch}),
      refreshed as (select complaint_search_refresh(array(select id from ids)))
      select (select max(id::text) from ids) as last, (select count(*) from ids) as n, (select count(*) from refreshed) as r`.execute(db)
    const n = Number(rows[0]?.n ?? 0)
    if (n === 0 || !rows[0]?.last) break
    last = rows[0].last
    done += n
    if (total > batch) {
      process.stderr.write(`search backfill: ${done} of ${total} complaints (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
    }
  }
  await sql`create index complaint_search_created_idx on complaint_search (created_at desc, complaint_id desc)`.execute(db)
  // fastupdate keeps an intake's write of ~200 keys to an append to the pending list; a small pending list keeps
  // what every search must scan of it small (autovacuum, which would flush it, is off on these machines).
  await sql`create index complaint_search_tokens_idx on complaint_search using gin (tokens) with (fastupdate = on, gin_pending_list_limit = 256)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists customers_search_name on customers`.execute(db)
  await sql`drop trigger if exists complaint_events_search_note on complaint_events`.execute(db)
  await sql`drop trigger if exists complaints_search_update on complaints`.execute(db)
  await sql`drop trigger if exists complaints_search_insert on complaints`.execute(db)
  await sql`drop function if exists complaint_search_on_change()`.execute(db)
  await sql`drop function if exists complaint_search_on_insert()`.execute(db)
  await sql`drop function if exists complaint_search_refresh(uuid[])`.execute(db)
  await sql`drop table if exists complaint_search`.execute(db)
  await sql`drop function if exists search_query(text)`.execute(db)
  await sql`drop function if exists search_document_tokens(text, text)`.execute(db)
  await sql`drop function if exists search_body(text, text[])`.execute(db)
  await sql`drop function if exists search_title(text, text, text)`.execute(db)
  await sql`drop function if exists search_fragments(text)`.execute(db)
  await sql`drop function if exists search_tokens(text)`.execute(db)
  await sql`drop function if exists search_normalise(text)`.execute(db)
}

import { sql, type Kysely } from 'kysely'

// Frozen: never import application code here.
//
// Incidents (并单, CONTRACT.md "Additions: incidents and search"): many complaints, of any customers, one cause.
// - incidents: the incident itself. `active_at` is when it was created or last had a complaint linked: the intake's
//   suggestions read the open incidents active within 72 hours (incidents_open_active_idx) with their `samples`: the
//   tokens of the incident's own title and description and of its newest linked complaints' text, worked out when they
//   are written so that an intake only compares sets (and no complaint's text is read for it). `resolution` is the
//   supervisor's resolve request (summary, compensation, who, when); the incident stays open until no linked complaint
//   is open. `complaint_count` and `open_count` are kept by the trigger below.
// - complaints.incident_id: the incident a complaint is linked to (null: none). Null in every existing row, so adding it
//   rewrites nothing; the partial index serves an incident's complaints and stays empty for the others.
// - incidents_follow_complaints: whenever a complaint's incident or state changes (linked, unlinked, resolved, closed,
//   reopened, by any path: an API action, a timer batch, the incident's own resolve), the incident's counts move with
//   it; an incident whose resolution was asked for becomes resolved when its last open complaint stops being open.
//   The trigger's WHEN keeps the cost off every complaint that has no incident. It takes the incident's row lock after
//   the complaint's: the service takes locks in the same order (complaints, then the incident's row).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create sequence incident_reference_seq`.execute(db)
  await sql`
    create table incidents (
      id uuid primary key default gen_random_uuid(),
      reference text not null unique,
      title text not null,
      category text,
      product text,
      region text,
      description text,
      state text not null default 'open' check (state in ('open', 'resolved')),
      complaint_count integer not null default 0,
      open_count integer not null default 0,
      resolution jsonb,
      version integer not null default 1,
      created_by uuid references users (id),
      created_at timestamptz not null,
      active_at timestamptz not null,
      samples jsonb not null default '[]',
      updated_at timestamptz not null,
      resolved_at timestamptz
    )`.execute(db)
  await sql`create index incidents_open_active_idx on incidents (active_at) where state = 'open'`.execute(db)
  await sql`create index incidents_list_idx on incidents (state, created_at, id)`.execute(db)
  await sql`create index incidents_created_idx on incidents (created_at, id)`.execute(db)
  await sql`alter table complaints add column incident_id uuid references incidents (id)`.execute(db)
  await sql`create index complaints_incident_idx on complaints (incident_id, created_at) where incident_id is not null`.execute(db)
  await sql`
    create function incidents_follow_complaints() returns trigger language plpgsql as $$
    declare
      was_open boolean := old.state in ('received', 'logged', 'escalated');
      is_open boolean := new.state in ('received', 'logged', 'escalated');
    begin
      if old.incident_id is not null then
        update incidents set
          complaint_count = complaint_count - (old.incident_id is distinct from new.incident_id)::int,
          open_count = open_count - was_open::int
        where id = old.incident_id;
      end if;
      if new.incident_id is not null then
        update incidents set
          complaint_count = complaint_count + (old.incident_id is distinct from new.incident_id)::int,
          open_count = open_count + is_open::int
        where id = new.incident_id;
      end if;
      -- Resolution asked for and nothing open any more: the incident is resolved, whichever way its last complaint went.
      update incidents set state = 'resolved', resolved_at = new.updated_at, updated_at = new.updated_at, version = version + 1
      where id in (old.incident_id, new.incident_id) and state = 'open' and resolution is not null and open_count = 0;
      return null;
    end $$`.execute(db)
  await sql`
    create trigger complaints_incident_counts after update on complaints
    for each row when (old.incident_id is distinct from new.incident_id
      or (new.incident_id is not null and old.state is distinct from new.state))
    execute function incidents_follow_complaints()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists complaints_incident_counts on complaints`.execute(db)
  await sql`drop function if exists incidents_follow_complaints()`.execute(db)
  await sql`alter table complaints drop column incident_id`.execute(db)
  await sql`drop table incidents`.execute(db)
  await sql`drop sequence incident_reference_seq`.execute(db)
}

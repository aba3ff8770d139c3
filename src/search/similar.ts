import { sql } from 'kysely'
import type { Executor } from '../complaints/complaint.repository.js'
import { textSimilarity, textTokens } from '../text/tokens.js'

/** The states of an open complaint (CONTRACT.md, "Additions: incidents"): literals, so the partial index applies. */
const OPEN = sql.raw(`('received', 'logged', 'escalated')`)

/** How many of the newest open complaints are looked at for candidates. */
export const SIMILAR_WALK = 2_000
/** At most this many candidates are scored. */
export const SIMILAR_CANDIDATES = 300

export interface SimilarComplaint {
  id: string
  reference: string
  summary: string
  /** textSimilarity of the two complaints' summary and description: 0 (nothing shared) to 1. */
  score: number
}

interface Candidate {
  id: string
  reference: string
  summary: string
  description: string | null
}

/** The text a complaint is compared by. */
export const comparedText = (c: { summary: string; description: string | null }) => `${c.summary}\n${c.description ?? ''}`

/**
 * The source's tokens as the search index holds a title's ('^' and at most 16 characters: its prefix tokens stop
 * there): a candidate shares at least one CJK pair or word with the source's summary in its own title.
 */
function titleTokens(summary: string): string[] {
  return [...new Set([...textTokens(summary)].map((token) => `^${Array.from(token).slice(0, 16).join('')}`))]
}

/**
 * Open complaints whose title shares a CJK pair or a word with `summary`, among the newest SIMILAR_WALK open
 * complaints (the open-complaints index, newest first), checked against their search rows' tokens. Bounded on purpose:
 * asking the GIN index for every complaint that shares a token (`tokens && ...`) and keeping the open ones read tens of
 * thousands of rows for a common pair such as 快递 at 1,000,000 complaints (seconds, bench/RESULTS.md); the complaints
 * an incident gathers are a burst of recent ones.
 */
async function candidates(db: Executor, summary: string, exclude: string[], want: number): Promise<Candidate[]> {
  const tokens = titleTokens(summary)
  if (tokens.length === 0) return []
  const { rows } = await sql<Candidate>`
    select c.id, c.reference, c.summary, c.description
    from (select id, reference, summary, description, created_at from complaints where state in ${OPEN}
      order by created_at desc, id desc limit ${SIMILAR_WALK}) c
    join complaint_search s on s.complaint_id = c.id
    where s.tokens && ${tokens}::text[] and c.id <> all (${sql`${exclude}::uuid[]`})
    order by c.created_at desc, c.id desc
    limit ${want}`.execute(db)
  return rows
}

/**
 * The open complaints most like a text (a summary and description), best first: candidates from the search rows,
 * scored by textSimilarity (CJK pairs and whole words, Dice). Those that share nothing are left out. The incident
 * suggestions of an intake can call it with the new complaint's text.
 */
export async function similarOpenComplaints(
  db: Executor,
  source: { summary: string; description: string | null },
  options: { exclude?: string[]; limit?: number } = {},
): Promise<SimilarComplaint[]> {
  const limit = options.limit ?? 10
  const text = comparedText(source)
  const found = await candidates(db, source.summary, options.exclude ?? [], SIMILAR_CANDIDATES)
  return found
    .map((c) => ({ id: c.id, reference: c.reference, summary: c.summary, score: round(textSimilarity(text, comparedText(c))) }))
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, limit)
}

const round = (score: number) => Math.round(score * 1000) / 1000

/** The complaint's own summary and description, or undefined when there is none. */
export async function complaintText(db: Executor, id: string): Promise<{ summary: string; description: string | null } | undefined> {
  return db.selectFrom('complaints').select(['summary', 'description']).where('id', '=', id).executeTakeFirst()
}

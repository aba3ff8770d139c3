import { sql, type RawBuilder } from 'kysely'
import { diceSimilarity, textTokens } from '../text/tokens.js'

/** Open incidents created or last linked within this long are suggested to an intake (CONTRACT.md). */
export const SUGGEST_WITHIN_MS = 72 * 3_600_000
/** At most this many recent open incidents are weighed, the most recently active first. */
const CANDIDATES = 50
/** Each incident's text: its title and description, and the summaries and descriptions of its newest complaints. */
const SAMPLES_PER_INCIDENT = 20
/** Text this similar (Dice over tokens, src/text/tokens.ts) suggests an incident on its own. */
export const MIN_SIMILARITY = 0.2
const MAX_SUGGESTIONS = 5

export interface SuggestedIncident { id: string; title: string; score: number }

interface Candidate {
  id: string
  title: string
  category: string | null
  product: string | null
  region: string | null
  texts: string[]
}

export interface IntakeText {
  category: string
  product?: string | null | undefined
  region?: string | null | undefined
  summary: string
  description?: string | null | undefined
}

/**
 * The recent open incidents with their text, as one scalar subquery that the intake's own INSERT returns (no
 * statement of its own). Only the incidents leave the database as suggestions: the complaints' text is read to score
 * them and never answered.
 */
export function recentIncidentsRead(now: Date): RawBuilder<Candidate[]> {
  const since = new Date(now.getTime() - SUGGEST_WITHIN_MS)
  return sql<Candidate[]>`(select coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'title', i.title, 'category', i.category,
      'product', i.product, 'region', i.region,
      'texts', array_prepend(concat_ws(' ', i.title, left(i.description, 2000)), coalesce((select array_agg(concat_ws(' ', s.summary, left(s.description, 2000)))
        from (select c.summary, c.description from complaints c where c.incident_id = i.id
          order by c.created_at desc limit ${SAMPLES_PER_INCIDENT}) s), '{}'))) order by i.active_at desc), '[]'::jsonb)
    from (select * from incidents where state = 'open' and active_at >= ${since} order by active_at desc limit ${CANDIDATES}) i)`
}

const same = (a: string | null | undefined, b: string | null | undefined) =>
  a != null && b != null && a.normalize('NFKC').trim().toLowerCase() === b.normalize('NFKC').trim().toLowerCase()

/**
 * Scores each candidate from two pieces of evidence: `fields`, the share of the incident's category, product and region
 * (those it names) that the complaint's match, and `text`, the best Dice similarity of the complaint's summary and
 * description to the incident's title and description or to one of its complaints. Either suggests it (a field that
 * matches, or text at least MIN_SIMILARITY alike); the score joins them as independent evidence,
 * 1 - (1 - fields / 2) (1 - text), so a full field match alone scores 0.5 and the same text alone scores 1.
 * Highest first, at most MAX_SUGGESTIONS, ties by the most recently active.
 */
export function suggestIncidents(complaint: IntakeText, candidates: readonly Candidate[] | null | undefined): SuggestedIncident[] {
  if (!candidates || candidates.length === 0) return []
  const tokens = textTokens(`${complaint.summary} ${complaint.description ?? ''}`)
  const scored: SuggestedIncident[] = []
  for (const incident of candidates) {
    const named = [
      [incident.category, complaint.category], [incident.product, complaint.product], [incident.region, complaint.region],
    ].filter(([theirs]) => theirs != null)
    const matched = named.filter(([theirs, ours]) => same(theirs, ours)).length
    const fields = named.length === 0 ? 0 : matched / named.length
    const text = Math.max(0, ...incident.texts.map((sample) => diceSimilarity(tokens, textTokens(sample))))
    if (matched === 0 && text < MIN_SIMILARITY) continue
    const score = 1 - (1 - fields / 2) * (1 - text)
    scored.push({ id: incident.id, title: incident.title, score: Math.round(score * 1000) / 1000 })
  }
  // A stable sort keeps the candidates' order (most recently active first) among equal scores.
  return scored.sort((a, b) => b.score - a.score).slice(0, MAX_SUGGESTIONS)
}

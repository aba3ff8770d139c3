import { sql, type RawBuilder } from 'kysely'
import type { TextSample } from '../db/tables.js'
import { textTokens } from '../text/tokens.js'

/** Open incidents created or last linked within this long are suggested to an intake (CONTRACT.md). */
export const SUGGEST_WITHIN_MS = 72 * 3_600_000
/** At most this many recent open incidents are weighed, the most recently active first. */
const CANDIDATES = 20
/** Each incident keeps the tokens of its own title and description and of its newest this many complaints. */
export const SAMPLES_PER_INCIDENT = 10
/** A sample keeps at most this many tokens (the first ones of its text): an intake reads and compares little. */
const TOKENS_PER_SAMPLE = 48
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
  samples: Pick<TextSample, 'tokens'>[]
}

export interface IntakeText {
  category: string
  product?: string | null | undefined
  region?: string | null | undefined
  summary: string
  description?: string | null | undefined
}

/** The tokens an incident keeps of a text: distinct, at most TOKENS_PER_SAMPLE. */
export function sampleOf(complaintId: string | null, ...texts: (string | null | undefined)[]): TextSample {
  return { complaintId, tokens: [...textTokens(texts.filter(Boolean).join(' '))].slice(0, TOKENS_PER_SAMPLE) }
}

/** The incident's samples after complaints joined (newest first) or left: its own first, then at most SAMPLES_PER_INCIDENT. */
export function withSamples(samples: readonly TextSample[], joined: readonly TextSample[], left: readonly string[] = []): TextSample[] {
  const own = samples.filter((s) => s.complaintId === null)
  const gone = new Set([...left, ...joined.map((s) => s.complaintId)])
  const complaints = [...joined, ...samples.filter((s) => s.complaintId !== null && !gone.has(s.complaintId))]
  return [...own, ...complaints.slice(0, SAMPLES_PER_INCIDENT)]
}

/**
 * The recent open incidents with their samples, as one scalar subquery that the intake's own INSERT returns (no
 * statement of its own). Only tokens are read, and only the incidents leave as suggestions.
 */
export function recentIncidentsRead(now: Date): RawBuilder<Candidate[]> {
  const since = new Date(now.getTime() - SUGGEST_WITHIN_MS)
  return sql<Candidate[]>`(select coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'title', i.title, 'category', i.category,
      'product', i.product, 'region', i.region, 'samples', i.samples) order by i.active_at desc), '[]'::jsonb)
    from (select * from incidents where state = 'open' and active_at >= ${since} order by active_at desc limit ${CANDIDATES}) i)`
}

/** Dice coefficient of a token set and a sample's distinct tokens, without building a set of the sample. */
function dice(tokens: ReadonlySet<string>, sample: readonly string[]): number {
  if (tokens.size === 0 || sample.length === 0) return 0
  let shared = 0
  for (const token of sample) if (tokens.has(token)) shared++
  return (2 * shared) / (tokens.size + sample.length)
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
    const text = Math.max(0, ...incident.samples.map((sample) => dice(tokens, sample.tokens)))
    if (matched === 0 && text < MIN_SIMILARITY) continue
    const score = 1 - (1 - fields / 2) * (1 - text)
    scored.push({ id: incident.id, title: incident.title, score: Math.round(score * 1000) / 1000 })
  }
  // A stable sort keeps the candidates' order (most recently active first) among equal scores.
  return scored.sort((a, b) => b.score - a.score).slice(0, MAX_SUGGESTIONS)
}

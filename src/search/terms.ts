import { sql } from 'kysely'
import type { Executor } from '../complaints/complaint.repository.js'

/**
 * A search as the index reads it, from the database's own normalisation (search_query, migration 0025), so that a
 * query and the rows it looks for are cut into tokens by the same code:
 * - `plain`: the tokens every match holds (a CJK term's character pairs, or its one character; a word's first 16
 *   characters), for the GIN index over title and body;
 * - `titled`: the same with the '^' the title's tokens carry, for the first relevance tier;
 * - `patterns`: one LIKE pattern a term over the normalised text, which every match satisfies: a term that starts
 *   with a non-CJK word matches at a word start (`rout` finds `router`, not `outer`), a CJK run anywhere.
 */
export interface SearchTerms {
  plain: string[]
  titled: string[]
  patterns: string[]
}

export async function searchTerms(db: Executor, q: string): Promise<SearchTerms> {
  const { rows } = await sql<SearchTerms>`select plain, titled, patterns from search_query(${q})`.execute(db)
  return rows[0] ?? { plain: [], titled: [], patterns: [] }
}

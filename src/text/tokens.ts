/**
 * Text as sets of tokens that read Chinese and English alike, for similarity scores and search.
 *
 * Chinese has no spaces, so a run of Han (or kana, hangul) characters becomes its overlapping character bigrams
 * (`快递员` -> `快递`, `递员`), or the character itself when the run is one character long; a Latin or digit word
 * is itself. Text is NFKC-normalised first (full-width `ＡＢＣ１` reads as `abc1`) and lower-cased.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu
const WORD = /[\p{L}\p{N}]+/gu

export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase()
}

/** The CJK runs of normalised text, and its other words (with the CJK runs taken out). */
export function splitRuns(normalised: string): { cjk: string[]; words: string[] } {
  const cjk = normalised.match(CJK) ?? []
  const words = normalised.replace(CJK, ' ').match(WORD) ?? []
  return { cjk, words }
}

export function characterBigrams(run: string): string[] {
  const chars = Array.from(run)
  if (chars.length === 1) return chars
  const grams: string[] = []
  for (let i = 0; i + 1 < chars.length; i++) grams.push(chars[i]! + chars[i + 1]!)
  return grams
}

/** The distinct tokens of a text: CJK bigrams and whole words. */
export function textTokens(text: string): Set<string> {
  const { cjk, words } = splitRuns(normaliseText(text))
  const tokens = new Set<string>(words)
  for (const run of cjk) for (const gram of characterBigrams(run)) tokens.add(gram)
  return tokens
}

/** Sørensen-Dice coefficient of two token sets: 0 (nothing shared) to 1 (the same tokens). */
export function diceSimilarity(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  let shared = 0
  for (const token of small) if (large.has(token)) shared++
  return (2 * shared) / (a.size + b.size)
}

export function textSimilarity(a: string, b: string): number {
  return diceSimilarity(textTokens(a), textTokens(b))
}

import { Problem } from '../http/problem.js'

/** Parses If-Match (`"3"`, `W/"3"`, `3`, `*`, or a list); answers the versions it accepts, or 'any'. */
export function parseIfMatch(header: string | undefined): number[] | 'any' | undefined {
  if (header === undefined) return undefined
  const parts = header.split(',').map((p) => p.trim()).filter(Boolean)
  if (parts.includes('*')) return 'any'
  return parts.map((part) => {
    const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(part)
    return match ? Number(match[1]) : Number.NaN
  })
}

export function checkVersion(header: string | undefined, version: number, what = 'complaint'): void {
  const accepted = parseIfMatch(header)
  if (accepted === undefined || accepted === 'any') return
  if (!accepted.includes(version)) {
    throw new Problem('version_conflict', `the ${what} is at version ${version}, not ${header}; reload it and retry`, {
      currentVersion: version,
    })
  }
}

export const etag = (version: number) => `"${version}"`

const opaqueTag = (tag: string) => tag.replace(/^W\//, '')

/**
 * Whether If-None-Match (RFC 9110 13.1.2) holds the current ETag, by weak comparison (W/ aside, the quoted tags are
 * equal), or is `*` (any current representation): then a GET answers 304 without a body.
 */
export function noneMatch(header: string | undefined, current: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaqueTag(tag) === opaqueTag(current))
}

// The seat map's entity tag (RFC 9110 §8.8.3) and If-None-Match matching (§13.1.2).

/** A strong tag naming the screening's seat map at one version. */
export const seatMapEtag = (screeningId: string, version: number): string => `"${screeningId}-${version}"`

/**
 * Whether an `If-None-Match` value (`*`, or a list of tags) matches `etag`. If-None-Match compares weakly,
 * so `W/"x"` matches `"x"`.
 */
export const etagMatches = (ifNoneMatch: string, etag: string): boolean => {
  const value = ifNoneMatch.trim()
  if (value === "*") return true
  const wanted = etag.replace(/^W\//, "")
  return (value.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => tag.replace(/^W\//, "") === wanted)
}

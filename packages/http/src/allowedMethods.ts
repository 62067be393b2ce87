// Which methods an app's routes answer at a path: what a 405's `Allow` header lists.

export interface RouteSignature {
  readonly method: string
  readonly path: string
}

type Segment =
  | { readonly kind: "static"; readonly text: string }
  | { readonly kind: "param"; readonly optional: boolean }
  | { readonly kind: "wildcard" }

interface Pattern {
  readonly method: string
  readonly segments: ReadonlyArray<Segment>
}

// Elysia ignores one trailing slash (`/cinemas/` is `/cinemas`), and so does this.
const segmentsOf = (path: string): Array<string> => {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
  return trimmed.split("/").slice(1)
}

const compile = (route: RouteSignature): Pattern => ({
  method: route.method.toUpperCase(),
  segments: segmentsOf(route.path).map((text): Segment =>
    text === "*"
      ? { kind: "wildcard" }
      : text.startsWith(":")
        ? { kind: "param", optional: text.endsWith("?") }
        : { kind: "static", text }
  )
})

const matches = (pattern: ReadonlyArray<Segment>, path: ReadonlyArray<string>, at = 0, i = 0): boolean => {
  if (at === pattern.length) return i === path.length
  const segment = pattern[at]!
  switch (segment.kind) {
    case "wildcard":
      return true
    case "static":
      return path[i] === segment.text && matches(pattern, path, at + 1, i + 1)
    case "param":
      // A parameter is one non-empty segment, as Elysia's router has it (`/users//unregister` is no match).
      if (i < path.length && path[i] !== "" && matches(pattern, path, at + 1, i + 1)) return true
      return segment.optional && matches(pattern, path, at + 1, i)
  }
}

// The order RFC 9110 lists them in, then any others alphabetically.
const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
const rank = (method: string) => {
  const i = ORDER.indexOf(method)
  return i === -1 ? ORDER.length : i
}

/**
 * Matches request paths against an app's routes. Routes are compiled once and again only when more
 * were added (Elysia's route list only grows), so plugins used after this was made still count.
 */
export const makeAllowedMethods = (routes: () => ReadonlyArray<RouteSignature>) => {
  let compiled: ReadonlyArray<Pattern> = []
  let seen = -1
  /**
   * The methods some route answers at `pathname`, HEAD wherever GET is (Elysia answers HEAD for every
   * GET route), in the conventional order; empty when no route has this path, or when a route for
   * every method (`all`) does.
   */
  return (pathname: string): Array<string> => {
    const current = routes()
    if (current.length !== seen) {
      compiled = current.map(compile)
      seen = current.length
    }
    const path = segmentsOf(pathname)
    const methods = new Set<string>()
    for (const pattern of compiled) {
      if (!matches(pattern.segments, path)) continue
      if (pattern.method === "ALL") return []
      // WS routes are upgrades; an `Allow` header speaks of plain HTTP methods only.
      if (pattern.method === "WS") continue
      methods.add(pattern.method)
      if (pattern.method === "GET") methods.add("HEAD")
    }
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  }
}

import { describe, expect, test } from "bun:test"
import { makeAllowedMethods } from "../src/allowedMethods.ts"

const routes = [
  { method: "GET", path: "/cinemas" },
  { method: "POST", path: "/cinemas" },
  { method: "GET", path: "/cinemas/:id" },
  { method: "DELETE", path: "/cinemas/:id" },
  { method: "POST", path: "/cinemas/:id/halls" },
  { method: "GET", path: "/users/.well-known/jwks.json" },
  { method: "GET", path: "/files/:name?" },
  { method: "PUT", path: "/static/*" },
  { method: "ALL", path: "/anything" },
]

describe("the methods allowed at a path", () => {
  const allowed = makeAllowedMethods(() => routes)

  test("a static path lists its methods, HEAD beside GET, in the usual order", () => {
    expect(allowed("/cinemas")).toEqual(["GET", "HEAD", "POST"])
    expect(allowed("/cinemas/")).toEqual(["GET", "HEAD", "POST"])
    expect(allowed("/users/.well-known/jwks.json")).toEqual(["GET", "HEAD"])
  })

  test("a parameter matches one non-empty segment", () => {
    expect(allowed("/cinemas/abc")).toEqual(["GET", "HEAD", "DELETE"])
    expect(allowed("/cinemas/abc/halls")).toEqual(["POST"])
    expect(allowed("/cinemas//halls")).toEqual([])
    expect(allowed("/cinemas/abc/def")).toEqual([])
  })

  test("an optional parameter may be absent, and a wildcard takes the rest of the path", () => {
    expect(allowed("/files")).toEqual(["GET", "HEAD"])
    expect(allowed("/files/a.txt")).toEqual(["GET", "HEAD"])
    expect(allowed("/files/a/b")).toEqual([])
    expect(allowed("/static/css/site.css")).toEqual(["PUT"])
  })

  test("unknown paths, near misses and paths a route answers for every method list nothing", () => {
    expect(allowed("/nowhere")).toEqual([])
    expect(allowed("/users/.well-known/jwks")).toEqual([])
    expect(allowed("/cinema")).toEqual([])
    expect(allowed("/anything")).toEqual([])
  })

  test("routes added later are seen", () => {
    const list = [{ method: "GET", path: "/a" }]
    const at = makeAllowedMethods(() => list)
    expect(at("/b")).toEqual([])
    list.push({ method: "PATCH", path: "/b" })
    expect(at("/b")).toEqual(["PATCH"])
  })
})

// The auth macro: one declaration, `operation({ auth })`, both enforces who may call a route and documents it;
// a route documented as protected that no macro enforces makes the document refuse to build.
import { describe, expect, test } from "bun:test"
import { Schema } from "effect"
import { Elysia } from "elysia"
import { authorize, buildOpenApiDocument, HttpProblem, makeServiceApp, operation, schema, type Auth, type DocumentedRoute } from "../src/index.ts"

/** Tokens by name: `staff`, `customer`; anything else is 401. Counts the calls. */
const calls = { n: 0 }
const auth: Auth = {
  authenticate: async (headers) => {
    calls.n++
    const token = (headers instanceof Headers ? headers.get("authorization") : headers["authorization"])?.replace(/^Bearer /, "")
    if (token === "staff") return { userId: "s1", role: "staff" }
    if (token === "customer") return { userId: "c1", role: "customer" }
    throw new HttpProblem({ status: 401, code: "unauthorized", detail: "No token." })
  }
}

const Note = Schema.Struct({ text: Schema.String })
const routes = new Elysia({ prefix: "/notes" })
  .use(authorize(auth))
  .get("/public", () => ({ ok: true }), operation({ summary: "Public", auth: "none", ok: { status: 200 } }))
  .get("/mine", ({ principal }) => ({ userId: principal.userId }), operation({ summary: "Mine", auth: "user", ok: { status: 200 } }))
  .post("/", ({ principal, body }) => ({ by: principal.userId, text: body.text }), {
    body: schema(Note),
    ...operation({ summary: "Staff only", auth: "staff", ok: { status: 200 } })
  })
const app = makeServiceApp({ service: "notes", prefix: "/notes", readiness: async () => ({ ok: true, checks: {} }), log: () => {} }).use(routes)

const call = async (path: string, token?: string, body?: unknown) => {
  const res = await app.handle(
    new Request(`http://localhost${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  )
  const text = await res.text()
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) }
}

describe("the auth macro", () => {
  test("enforces what the route declares and hands the handler its principal", async () => {
    calls.n = 0
    expect((await call("/notes/public")).status).toBe(200)
    expect(calls.n).toBe(0) // a public route authenticates no one
    expect(await call("/notes/mine", "customer")).toEqual({ status: 200, body: { userId: "c1" } })
    expect((await call("/notes/mine")).body.code).toBe("unauthorized")
    expect((await call("/notes", "customer", { text: "x" })).body.code).toBe("forbidden")
    expect(await call("/notes", "staff", { text: "x" })).toEqual({ status: 200, body: { by: "s1", text: "x" } })
  })

  test("authenticates before the body is validated: no token is 401 and a customer 403, whatever the body", async () => {
    expect((await call("/notes", undefined, { wrong: 1 })).status).toBe(401)
    expect((await call("/notes", "customer", { wrong: 1 })).status).toBe(403)
    expect((await call("/notes", "staff", { wrong: 1 })).status).toBe(422)
  })

  test("the document's security is the declared auth", async () => {
    const doc = (await (await app.handle(new Request("http://localhost/notes/openapi/json"))).json()) as any
    expect(doc.paths["/notes/public"].get.security).toEqual([])
    expect(doc.paths["/notes/mine"].get.security).toEqual([{ bearer: [] }])
    expect(Object.keys(doc.paths["/notes"].post.responses)).toEqual(expect.arrayContaining(["401", "403"]))
    expect(Object.keys(doc.paths["/notes/mine"].get.responses)).not.toContain("403")
  })

  test("a route documented as protected that no macro enforces makes the document refuse to build", () => {
    const unguarded = new Elysia().get("/open", () => "x", operation({ summary: "Forgot the macro", auth: "staff", ok: { status: 200 } }))
    expect(() => buildOpenApiDocument(unguarded.routes as unknown as ReadonlyArray<DocumentedRoute>, { title: "t", version: "1" } as any)).toThrow(
      /documents auth "staff" but no auth macro enforces it/
    )
  })
})

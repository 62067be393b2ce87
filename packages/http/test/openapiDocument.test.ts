import { describe, expect, test } from "bun:test"
import { PageQuery } from "@bat/contracts"
import { Schema } from "effect"
import { Elysia } from "elysia"
import { authorize, makeServiceApp, operation, schema } from "../src/index.ts"
import { rangeRegex } from "../src/openapiDocument.ts"

const Movie = Schema.Struct({ movieId: Schema.String, title: Schema.String })
const NewMovie = Schema.Struct({ title: Schema.String.check(Schema.isMinLength(1)) })
const MovieParams = Schema.Struct({ id: Schema.String })
const Strict = Schema.Struct({ id: Schema.String.check(Schema.isPattern(/^[a-z]+$/u)) })

const makeApp = () =>
  makeServiceApp({
    service: "movies",
    prefix: "/movies",
    readiness: async () => ({ ok: true, checks: {} }),
    tags: [{ name: "movies", description: "The film catalogue." }],
  }).use(
    new Elysia({ prefix: "/movies" })
      .use(authorize({ authenticate: async () => ({ userId: "u1", role: "staff" }) }))
      .get("/", ({ query }) => ({ items: [], nextCursor: null, limit: query.limit ?? null }), {
        query: schema(PageQuery),
        ...operation({ summary: "Movies", tags: ["movies"], auth: "none", ok: { status: 200, schema: Schema.Struct({ items: Schema.Array(Movie) }) } }),
      })
      .post("/", ({ body, set }) => ((set.status = 201), { movieId: "m1", title: body.title }), {
        body: schema(NewMovie),
        ...operation({
          summary: "Add a movie",
          tags: ["movies"],
          auth: "staff",
          ok: { status: 201, schema: Movie },
          problems: { 409: ["movie_exists"] },
          requestHeaders: [{ name: "Idempotency-Key", description: "Repeats answer the first response." }],
        }),
      })
      .get("/:id", ({ params }) => ({ movieId: params.id, title: "x" }), {
        params: schema(MovieParams),
        ...operation({ summary: "A movie", tags: ["movies"], auth: "none", ok: { status: 200, schema: Movie }, problems: { 404: ["movie_not_found"] } }),
      })
      .get("/strict/:id", ({ params }) => ({ movieId: params.id, title: "x" }), {
        params: schema(Strict),
        ...operation({ summary: "A movie by a constrained id", tags: ["movies"], auth: "owner", ok: { status: 200, schema: Movie } }),
      })
      .delete("/:id", ({ set }) => ((set.status = 204), undefined), {
        params: schema(MovieParams),
        ...operation({ summary: "Remove a movie", tags: ["movies"], auth: "staff", ok: { status: 204 } }),
      }),
  )

const get = (app: { handle: (r: Request) => Promise<Response> }, path: string) => app.handle(new Request(`http://localhost${path}`))

const documentOf = async () => (await (await get(makeApp(), "/movies/openapi/json")).json()) as any

const problemCodes = (response: any): Array<string> =>
  response.content["application/problem+json"].schema.allOf[1].properties.code.enum

describe("the OpenAPI document", () => {
  test("every operation has an id, a summary, tags, security and a 2xx and the 4xx it can produce", async () => {
    const doc = await documentOf()
    const operations = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) =>
      Object.entries(item).map(([method, op]: [string, any]) => ({ path, method, op })),
    )
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      "delete /movies/{id}",
      "get /health",
      "get /metrics",
      "get /movies",
      "get /movies/strict/{id}",
      "get /movies/{id}",
      "get /ready",
      "post /movies",
    ].sort())
    for (const { op } of operations) {
      expect(typeof op.operationId).toBe("string")
      expect(typeof op.summary).toBe("string")
      expect(op.tags.length).toBeGreaterThan(0)
      expect(Array.isArray(op.security)).toBe(true)
      expect(Object.keys(op.responses).some((s) => s.startsWith("2"))).toBe(true)
      expect(op["x-bat"]).toBeUndefined()
    }
    expect(new Set(operations.map((o) => o.op.operationId)).size).toBe(operations.length)
  })

  test("automatic problems: body, query, authentication and role, each with its codes as an enum", async () => {
    const doc = await documentOf()
    const add = doc.paths["/movies"].post
    expect(add.security).toEqual([{ bearer: [] }])
    expect(problemCodes(add.responses["400"])).toEqual(["malformed_json"])
    expect(problemCodes(add.responses["422"])).toEqual(["invalid_input"])
    expect(problemCodes(add.responses["401"])).toEqual(["unauthorized", "invalid_token", "token_expired", "token_revoked"])
    expect(problemCodes(add.responses["403"])).toEqual(["forbidden"])
    expect(problemCodes(add.responses["409"])).toEqual(["movie_exists"])
    expect(problemCodes(add.responses["503"])).toEqual(["auth_unavailable"])
    expect(add.responses["409"].description).toContain("Codes: `movie_exists`.")
    expect(add.responses["409"].content["application/problem+json"].schema.allOf[0]).toEqual({ $ref: "#/components/schemas/Problem" })
    expect(add.responses["201"].content["application/json"].schema.required).toEqual(["movieId", "title"])
    expect(Object.keys(add.requestBody.content)).toEqual(["application/json"])
    expect(add.parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header", required: false }))

    const list = doc.paths["/movies"].get
    expect(list.security).toEqual([])
    expect(problemCodes(list.responses["422"])).toEqual(["invalid_input", "invalid_cursor"])
    expect(list.responses["401"]).toBeUndefined()

    // A path id is any string: the route's own 404, and not_found for a path the router cannot take apart
    // (an undecodable `%` before a trailing slash); a constrained one refuses with not_found.
    expect(problemCodes(doc.paths["/movies/{id}"].get.responses["404"]).sort()).toEqual(["movie_not_found", "not_found"])
    expect(doc.paths["/movies/{id}"].get.responses["422"]).toBeUndefined()
    expect(problemCodes(doc.paths["/movies/strict/{id}"].get.responses["404"])).toEqual(["not_found"])
    expect(doc.paths["/movies/{id}"].delete.responses["204"].content).toBeUndefined()
  })

  test("the limit parameter's pattern accepts exactly the values the service accepts", async () => {
    const app = makeApp()
    const doc = (await (await get(app, "/movies/openapi/json")).json()) as any
    const limit = doc.paths["/movies"].get.parameters.find((p: any) => p.name === "limit")
    expect(limit).toMatchObject({ in: "query", required: false, schema: { type: "string" } })
    const pattern = new RegExp(limit.schema.pattern, "u")
    const samples = ["1", "9", "10", "50", "199", "200", "007", "000000200", "0", "201", "999", "1e2", "-1", " 5", "5 ", "+5", "abc", "", "0000000001", "1.0"]
    for (const value of samples) {
      const res = await get(app, `/movies?limit=${encodeURIComponent(value)}`)
      expect({ value, documented: pattern.test(value) }).toEqual({ value, documented: res.status === 200 })
    }
  })

  test("the document carries servers, info, described tags, the Problem schema and the bearer scheme", async () => {
    const doc = await documentOf()
    expect(doc.openapi).toStartWith("3.1")
    expect(doc.info.title).toBe("Movies API — Book a Ticket")
    expect(doc.servers).toEqual([expect.objectContaining({ url: "/" })])
    expect(doc.tags).toEqual([
      { name: "operations", description: expect.any(String) },
      { name: "movies", description: "The film catalogue." },
    ])
    expect(doc.components.schemas.Problem.required).toEqual(["type", "title", "status", "code"])
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" })
    expect(doc.paths["/ready"].get.responses["503"].content["application/json"].schema.properties.status).toEqual({
      type: "string",
      enum: ["not_ready"],
    })
  })

  test("a range of whole numbers becomes a pattern matching exactly those numbers", () => {
    for (const [min, max] of [[1, 200], [0, 9], [5, 1234], [37, 912], [0, 0], [10, 10]] as const) {
      const re = new RegExp(`^0*(?:${rangeRegex(min, max)})$`)
      for (let n = 0; n <= 2000; n++) expect({ n, ok: re.test(String(n)) }).toEqual({ n, ok: n >= min && n <= max })
    }
  })
})

describe("the OpenAPI UI", () => {
  test("the page loads only the service's own assets and points at the document", async () => {
    const app = makeApp().listen({ port: 0, hostname: "127.0.0.1" })
    try {
      const origin = `http://127.0.0.1:${app.server!.port}`
      const page = await fetch(`${origin}/movies/openapi`)
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")
      const html = await page.text()
      const urls = [...html.matchAll(/(?:src|href|data-spec-url)="([^"]+)"/g)].map((m) => m[1]!)
      expect(urls.length).toBeGreaterThanOrEqual(4)
      for (const url of urls) {
        // Absolute paths under the prefix: the same directly and through the front door, no other host.
        expect(url).toStartWith("/movies/openapi")
        const res = await fetch(new URL(url, `${origin}/movies/openapi`))
        expect({ url, status: res.status }).toEqual({ url, status: 200 })
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0)
      }
      const specUrl = /data-spec-url="([^"]+)"/.exec(html)![1]!
      const spec = await fetch(`${origin}${specUrl}`)
      expect(spec.headers.get("content-type")).toContain("application/json")
      expect(((await spec.json()) as any).openapi).toStartWith("3.1")
      expect((await fetch(`${origin}/movies/openapi/assets/..%2F..%2Fpackage.json`)).status).toBe(404)
      expect((await fetch(`${origin}/movies/openapi/assets/index.html`)).status).toBe(404)
    } finally {
      await app.stop()
    }
  })
})

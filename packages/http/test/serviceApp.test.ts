import { describe, expect, test } from "bun:test"
import { Schema } from "effect"
import { Elysia } from "elysia"
import { HttpProblem, makeServiceApp, schema, type LogEntry, type Readiness } from "../src/index.ts"

const Register = Schema.Struct({
  email: Schema.String.check(Schema.isPattern(/^[^@\s]+@[^@\s]+$/)),
  password: Schema.String.check(Schema.isMinLength(12)),
  seats: Schema.NumberFromString,
})

// A check whose message quotes the input, as a careless custom message might.
const Card = Schema.Struct({
  number: Schema.String.check(Schema.makeFilter((n: string) => n.length === 16 || `${n} is not 16 digits`)),
})

const Page = Schema.Struct({ limit: Schema.NumberFromString.check(Schema.isLessThanOrEqualTo(200)) })
const ScreeningParams = Schema.Struct({ id: Schema.String.check(Schema.isUUID()) })

const makeApp = (readiness: () => Promise<Readiness> = async () => ({ ok: true, checks: { database: "open" } })) => {
  const logged: LogEntry[] = []
  const routes = new Elysia({ prefix: "/users" })
    .post("/register", ({ body }) => ({ email: body.email, seats: body.seats, seatsType: typeof body.seats }), {
      body: schema(Register),
    })
    .post("/card", ({ body }) => ({ last4: body.number.slice(-4) }), { body: schema(Card) })
    .get("/screenings/:id", ({ params, query }) => ({ id: params.id, limit: query.limit }), {
      params: schema(ScreeningParams),
      query: schema(Page),
    })
    .patch("/:userId/unregister", ({ params }) => ({ userId: params.userId }))
    .delete("/:userId/unregister", ({ params }) => ({ userId: params.userId }))
    .get("/.well-known/jwks.json", () => ({ keys: [] }))
    .get("/gone", () => {
      throw new HttpProblem({ status: 404, code: "user_not_found", detail: "No user with that id." })
    })
    .post("/crash", () => {
      throw new Error("database is locked")
    })
  const app = makeServiceApp({
    service: "users",
    version: "1.2.3",
    openapiPath: "/users/openapi",
    readiness,
    log: (entry) => logged.push(entry),
  }).use(routes)
  return { app, logged }
}

const send = (app: { handle: (r: Request) => Promise<Response> }, method: string, path: string, body?: string) =>
  app.handle(
    new Request(`http://localhost${path}`, {
      method,
      ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }),
    }),
  )

const problemOf = async (res: Response) => {
  expect(res.headers.get("content-type")).toBe("application/problem+json")
  const body = (await res.json()) as Record<string, unknown>
  // A copy: Bun 1.4.5's toMatchObject writes its asymmetric matchers into the object it checks.
  expect(structuredClone(body)).toMatchObject({ type: expect.any(String), title: expect.any(String), detail: expect.any(String) })
  expect(body.status).toBe(res.status)
  return body
}

describe("service app errors", () => {
  test("a valid body reaches the handler decoded, transformations included", async () => {
    const { app } = makeApp()
    const res = await send(app, "POST", "/users/register", JSON.stringify({ email: "a@b.c", password: "correct horse battery", seats: "3" }))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ email: "a@b.c", seats: 3, seatsType: "number" })
  })

  test("malformed JSON is a 400 malformed_json problem", async () => {
    const { app } = makeApp()
    const res = await send(app, "POST", "/users/register", '{"email": "a@b.c",')
    expect(res.status).toBe(400)
    expect((await problemOf(res)).code).toBe("malformed_json")
  })

  test("an invalid body is a 422 invalid_input problem listing each field", async () => {
    const { app } = makeApp()
    const res = await send(app, "POST", "/users/register", JSON.stringify({ email: "nope", password: "short", seats: "1" }))
    expect(res.status).toBe(422)
    const problem = await problemOf(res)
    expect(problem.code).toBe("invalid_input")
    const errors = problem.errors as Array<{ path: string; message: string }>
    expect(errors.map((e) => e.path).sort()).toEqual(["email", "password"])
    for (const e of errors) expect(e.message).toEqual(expect.any(String))
  })

  test("a validation failure never echoes the submitted values", async () => {
    const { app } = makeApp()
    const secret = "hunter2-pw"
    const res = await send(app, "POST", "/users/register", JSON.stringify({ email: 42, password: secret, seats: "1", extra: secret }))
    expect(res.status).toBe(422)
    const text = await res.text()
    expect(JSON.parse(text).errors.map((e: { path: string }) => e.path).sort()).toEqual(["email", "password"])
    expect(text).not.toContain("hunter2")
    expect(text).not.toContain("found")
  })

  test("a field message that quotes the input is replaced rather than echoed", async () => {
    const { app } = makeApp()
    const res = await send(app, "POST", "/users/card", JSON.stringify({ number: "4242-4242-4242" }))
    expect(res.status).toBe(422)
    const text = await res.text()
    expect(JSON.parse(text).errors).toEqual([{ path: "number", message: "Invalid value" }])
    expect(text).not.toContain("4242")
  })

  test("an invalid query string is a 422 invalid_input problem", async () => {
    const { app } = makeApp()
    const good = "0196b5e6-6a3e-7c3a-9a51-3c1f0d6f7a10"
    const ok = await send(app, "GET", `/users/screenings/${good}?limit=20`)
    expect(await ok.json()).toEqual({ id: good, limit: 20 })

    const badQuery = await send(app, "GET", `/users/screenings/${good}?limit=500`)
    expect(badQuery.status).toBe(422)
    expect(await problemOf(badQuery)).toMatchObject({ code: "invalid_input", errors: [{ path: "limit" }] })
  })

  test("a path parameter that does not fit the route's schema names nothing: 404 not_found, not 422", async () => {
    const { app } = makeApp()
    const badParam = await send(app, "GET", "/users/screenings/not-a-uuid?limit=20")
    expect(badParam.status).toBe(404)
    const problem = await problemOf(badParam)
    expect(problem.code).toBe("not_found")
    expect(problem.errors).toBeUndefined()
  })

  test("an unknown route is a 404 not_found problem", async () => {
    const { app } = makeApp()
    for (const path of ["/users/nowhere", "/nowhere", "/users/gone/further", "/users/screenings", "/users//unregister"]) {
      const res = await send(app, "GET", path)
      expect({ path, status: res.status }).toEqual({ path, status: 404 })
      expect((await problemOf(res)).code).toBe("not_found")
      expect(res.headers.get("allow")).toBeNull()
    }
  })

  test("a known path with the wrong method is a 405 method_not_allowed problem whose Allow lists the methods", async () => {
    const { app } = makeApp()
    const cases: Array<[method: string, path: string, allow: string]> = [
      ["DELETE", "/users/register", "POST"],
      ["GET", "/users/register", "POST"],
      ["HEAD", "/users/register", "POST"],
      ["POST", "/health", "GET, HEAD"],
      ["OPTIONS", "/ready", "GET, HEAD"],
      // A path with a parameter, and the two methods registered for it.
      ["GET", "/users/0196b5e6-6a3e-7c3a-9a51-3c1f0d6f7a10/unregister", "PATCH, DELETE"],
      ["PUT", "/users/anything/unregister", "PATCH, DELETE"],
      ["POST", "/users/screenings/any-id", "GET, HEAD"],
      // The dotted path, and a trailing slash, which Elysia ignores.
      ["POST", "/users/.well-known/jwks.json", "GET, HEAD"],
      ["PUT", "/users/register/", "POST"],
      // The OpenAPI routes the app adds itself.
      ["DELETE", "/users/openapi/json", "GET, HEAD"],
    ]
    for (const [method, path, allow] of cases) {
      const res = await send(app, method, path)
      expect({ method, path, status: res.status, allow: res.headers.get("allow") }).toEqual({ method, path, status: 405, allow })
      if (method === "HEAD") continue // no body
      const problem = await problemOf(res)
      expect(problem.code).toBe("method_not_allowed")
      expect(String(problem.detail)).toContain(allow)
    }
  })

  test("every method an Allow header lists is one the app answers, HEAD included", async () => {
    const { app } = makeApp()
    for (const path of ["/health", "/users/.well-known/jwks.json", "/users/screenings/0196b5e6-6a3e-7c3a-9a51-3c1f0d6f7a10?limit=1"]) {
      const allow = (await send(app, "PUT", path)).headers.get("allow")
      expect(allow).toBe("GET, HEAD")
      const head = await send(app, "HEAD", path)
      expect({ path, status: head.status }).toEqual({ path, status: 200 })
    }
  })

  test("routes added to the app after it was made count for 405, and unknown paths beside them stay 404", async () => {
    const { app } = makeApp()
    app.use(new Elysia({ prefix: "/late" }).get("/items/:itemId", () => "item").put("/items/:itemId", () => "put"))
    const wrong = await send(app, "POST", "/late/items/42")
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get("allow")).toBe("GET, HEAD, PUT")
    expect((await problemOf(wrong)).code).toBe("method_not_allowed")
    const unknown = await send(app, "POST", "/late/elsewhere")
    expect(unknown.status).toBe(404)
    expect((await problemOf(unknown)).code).toBe("not_found")
  })

  test("an HttpProblem thrown by a route is rendered as it is", async () => {
    const { app } = makeApp()
    const res = await send(app, "GET", "/users/gone")
    expect(res.status).toBe(404)
    expect(await problemOf(res)).toMatchObject({ code: "user_not_found", detail: "No user with that id." })
  })

  test("an unexpected throw is a 500 internal_error problem, logged without the request body", async () => {
    const { app, logged } = makeApp()
    const res = await send(app, "POST", "/users/crash", JSON.stringify({ card: "4242424242424242" }))
    expect(res.status).toBe(500)
    const problem = await problemOf(res)
    expect(problem.code).toBe("internal_error")
    expect(JSON.stringify(problem)).not.toContain("database is locked")
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ level: "error", service: "users", method: "POST", path: "/users/crash" })
    expect(logged[0]?.error).toContain("database is locked")
    expect(JSON.stringify(logged)).not.toContain("4242424242424242")
  })
})

describe("service app operations", () => {
  test("health answers ok with the service name", async () => {
    const { app } = makeApp()
    const res = await send(app, "GET", "/health")
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: "ok", service: "users" })
  })

  test("ready answers 200 with the checks when everything is up", async () => {
    const { app } = makeApp()
    const res = await send(app, "GET", "/ready")
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: "ready", checks: { database: "open" } })
  })

  test("ready answers 200 degraded when the service serves but needs an operator", async () => {
    const { app } = makeApp(async () => ({ ok: false, status: "degraded", checks: { dlq: 3 } }))
    const res = await send(app, "GET", "/ready")
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: "degraded", checks: { dlq: 3 } })
  })

  test("ready answers 503 not_ready when the readiness check fails or throws", async () => {
    const down = await send(makeApp(async () => ({ ok: false, checks: { broker: "down" } })).app, "GET", "/ready")
    expect(down.status).toBe(503)
    expect(await down.json()).toEqual({ status: "not_ready", checks: { broker: "down" } })

    const thrown = await send(makeApp(async () => Promise.reject(new Error("db closed"))).app, "GET", "/ready")
    expect(thrown.status).toBe(503)
    expect(await thrown.json()).toMatchObject({ status: "not_ready" })
  })

  test("the OpenAPI document lives under the service prefix and documents body schemas", async () => {
    const { app } = makeApp()
    const res = await send(app, "GET", "/users/openapi/json")
    expect(res.status).toBe(200)
    const doc = (await res.json()) as any
    expect(doc.info).toMatchObject({ title: "Users API — Book a Ticket", version: "1.2.3" })
    const body = doc.paths["/users/register"].post.requestBody.content["application/json"].schema
    expect(body.type).toBe("object")
    expect(Object.keys(body.properties).sort()).toEqual(["email", "password", "seats"])
    expect(body.required).toContain("password")

    const ui = await send(app, "GET", "/users/openapi")
    expect(ui.status).toBe(200)
    expect(ui.headers.get("content-type")).toContain("text/html")
  })
})

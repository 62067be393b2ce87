import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import { makeContractChecker, serviceDescriptionUrl, uncheckedFetch } from "../src/index.ts"
import { contractApp } from "./fixtures/contractApp.ts"

// These requests break the document on purpose, so they go around the suite-wide check.
let app: ReturnType<typeof contractApp>
let origin: string
let frontDoor: ReturnType<typeof Bun.serve>
let plain: ReturnType<typeof Bun.serve>

beforeAll(() => {
  app = contractApp().listen({ port: 0, hostname: "127.0.0.1" })
  origin = `http://127.0.0.1:${app.server!.port}`
  // A minimal front door: forwards everything to the service.
  frontDoor = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      const url = new URL(req.url)
      return uncheckedFetch(`${origin}${url.pathname}${url.search}`, { method: req.method })
    },
  })
  // Not one of our services: no service-desc link.
  plain = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ anything: true }, { status: 418 }) })
})

afterAll(async () => {
  await app.stop()
  frontDoor.stop(true)
  plain.stop(true)
})

const checkAll = async (base: string, requests: ReadonlyArray<readonly [string, string]>) => {
  const checker = makeContractChecker({ fetch: uncheckedFetch })
  for (const [method, path] of requests) {
    const url = `${base}${path}`
    const res = await uncheckedFetch(url, { method })
    await checker.observe(method, url, res)
    if (res.headers.get("content-type") === "text/event-stream") await res.body?.cancel()
    else await res.text() // the caller still has the whole body
  }
  return checker.settle()
}

describe("the contract check", () => {
  test("a service names its document in every response, and the link resolves against the response", () => {
    const headers = new Headers({ link: '</items/openapi/json>; rel="service-desc"' })
    expect(serviceDescriptionUrl(headers, "http://127.0.0.1:9/items/x")).toBe("http://127.0.0.1:9/items/openapi/json")
    expect(serviceDescriptionUrl(new Headers({ link: '</next>; rel="next"' }), "http://h/x")).toBeUndefined()
    expect(serviceDescriptionUrl(new Headers(), "http://h/x")).toBeUndefined()
  })

  test("documented answers pass: a body matching its schema, a listed problem code, a 204 without a body, an event stream's head", async () => {
    const result = await checkAll(origin, [
      ["GET", "/items/good/a"],
      ["GET", "/health"],
      ["GET", "/ready"],
      ["DELETE", "/items/good/a"],
      ["GET", "/items/stream"],
    ])
    expect(result.violations).toEqual([])
    expect(result.checked).toBe(5)
  })

  test("an undocumented status, a body off its schema, an unlisted problem code and an undocumented content type are each caught", async () => {
    const result = await checkAll(origin, [
      ["GET", "/items/missing-field"],
      ["GET", "/items/conflict"],
      ["GET", "/items/other-code"],
      ["GET", "/items/text"],
    ])
    const found = Object.fromEntries(result.violations.map((v) => [v.operation, v]))
    expect(Object.keys(found).sort()).toEqual(["GET /items/conflict", "GET /items/missing-field", "GET /items/other-code", "GET /items/text"])
    expect(found["GET /items/missing-field"]!.errors.join(" ")).toContain("count")
    expect(found["GET /items/conflict"]!.problem).toContain("status 409 is not documented")
    expect(found["GET /items/other-code"]!.errors.join(" ")).toContain("/code")
    expect(found["GET /items/text"]!.problem).toContain("content type text/plain")
  })

  test("unknown routes, wrong methods, the document and UI, and servers that are not ours are left alone", async () => {
    const checker = makeContractChecker({ fetch: uncheckedFetch })
    const urls: ReadonlyArray<readonly [string, string]> = [
      ["GET", `${origin}/items/nowhere/at/all`],
      ["PUT", `${origin}/items/good/a`],
      ["GET", `${origin}/items/openapi`],
      ["GET", `${origin}/items/openapi/json`],
      ["GET", `http://127.0.0.1:${plain.port}/items/good/a`],
    ]
    for (const [method, url] of urls) {
      const res = await uncheckedFetch(url, { method })
      await checker.observe(method, url, res)
      await res.text()
    }
    const result = await checker.settle()
    expect(result.violations).toEqual([])
    expect(result.checked).toBe(0)
  })

  test("through a front door, the document is found under the front door's origin", async () => {
    const result = await checkAll(`http://127.0.0.1:${frontDoor.port}`, [
      ["GET", "/items/good/a"],
      ["GET", "/items/conflict"],
    ])
    expect(result.checked).toBe(2)
    expect(result.violations.map((v) => v.operation)).toEqual(["GET /items/conflict"])
  })

  test("with the suite-wide check, an undocumented response fails the test that received it; CONTRACT_CHECK=report only prints it", async () => {
    const root = join(import.meta.dir, "../../..")
    const run = async (mode: string | undefined) => {
      const env: Record<string, string> = { ...(process.env as Record<string, string>) }
      if (mode === undefined) delete env.CONTRACT_CHECK
      else env.CONTRACT_CHECK = mode
      const proc = Bun.spawn(["bun", "test", "./packages/testing/test/fixtures/undocumented.fixture.ts"], {
        cwd: root,
        env,
        stdout: "pipe",
        stderr: "pipe",
      })
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      return { code, text: out + err }
    }
    const strict = await run(undefined)
    expect(strict.code).not.toBe(0)
    expect(strict.text).toContain("GET /items/missing-field")
    expect(strict.text).toMatch(/\(fail\) a test that receives an undocumented response/)
    expect(strict.text).toMatch(/\(pass\) a test whose responses are all documented/)
    expect(strict.text).toMatch(/1 fail/)

    const report = await run("report")
    expect(report.code).toBe(0)
    expect(report.text).toContain("GET /items/missing-field")
    expect(report.text).toContain("1 not allowed by the document")
  }, 60_000)
})

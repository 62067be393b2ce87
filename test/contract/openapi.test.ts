// The published contract: every service's OpenAPI document, fetched through the front door of a running
// fleet, passes Redocly's recommended rules with no error, documents every operation completely, and its
// UI loads offline from the service itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createTestVhost, repoRoot, startFleet, type Fleet, type TestVhost } from "@bat/testing"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const PREFIXES = ["/users", "/cinemas", "/movies", "/screenings", "/tickets", "/payments", "/notifications"] as const
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

let vh: TestVhost
let dataDir: string
let fleet: Fleet
let gateway: string
const documents = new Map<string, any>()

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-openapi" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-openapi-"))
  fleet = await startFleet({ ports: "free", env: { ...process.env, AMQP_URL: vh.amqpUrl, DATA_DIR: dataDir } })
  gateway = fleet.urls.gateway!
  for (const prefix of PREFIXES) {
    const res = await fetch(`${gateway}${prefix}/openapi/json`)
    expect({ prefix, status: res.status }).toEqual({ prefix, status: 200 })
    documents.set(prefix, await res.json())
  }
}, 90_000)

afterAll(async () => {
  await fleet?.stop()
  await vh?.cleanup()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}, 30_000)

interface LintProblem {
  readonly ruleId: string
  readonly severity: "error" | "warn"
  readonly message: string
  readonly location: ReadonlyArray<{ readonly pointer?: string }>
}

/** `redocly lint --extends recommended`, offline: no telemetry, no update check. */
const lint = async (name: string, doc: unknown): Promise<ReadonlyArray<LintProblem>> => {
  const dir = mkdtempSync(join(tmpdir(), "bat-redocly-"))
  try {
    const file = join(dir, `${name}.json`)
    writeFileSync(file, JSON.stringify(doc, null, 2))
    const cli = join(repoRoot(), "node_modules/@redocly/cli/bin/cli.js")
    const proc = Bun.spawn([process.execPath, cli, "lint", "--extends", "recommended", "--format", "json", file], {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", CI: "true" },
      stdout: "pipe",
      stderr: "pipe",
    })
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    const start = out.indexOf("{")
    if (start === -1) throw new Error(`redocly printed no report for ${name}:\n${out}\n${err}`)
    return (JSON.parse(out.slice(start)) as { problems: ReadonlyArray<LintProblem> }).problems
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const operationsOf = (doc: any) =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  )

describe("the services' OpenAPI documents", () => {
  test("Redocly's recommended rules report no error in any document", async () => {
    const found: Record<string, { errors: Array<string>; warnings: number }> = {}
    for (const prefix of PREFIXES) {
      const problems = await lint(prefix.slice(1), documents.get(prefix))
      found[prefix] = {
        errors: problems
          .filter((p) => p.severity === "error")
          .map((p) => `${p.ruleId} at ${p.location[0]?.pointer ?? "?"}: ${p.message}`),
        warnings: problems.filter((p) => p.severity === "warn").length,
      }
    }
    console.log(
      `redocly lint --extends recommended: ${PREFIXES.map((p) => `${p} ${found[p]!.errors.length} errors, ${found[p]!.warnings} warnings`).join("; ")}`,
    )
    expect(Object.fromEntries(PREFIXES.map((p) => [p, found[p]!.errors]))).toEqual(Object.fromEntries(PREFIXES.map((p) => [p, []])))
  }, 120_000)

  test("every operation has an id, a summary, tags, security, a success and the 4xx it can produce, and takes JSON bodies only", () => {
    const incomplete: Array<string> = []
    for (const prefix of PREFIXES) {
      const doc = documents.get(prefix)
      expect(doc.servers.length).toBeGreaterThan(0)
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" })
      const tags = new Set((doc.tags as Array<{ name: string; description?: string }>).map((t) => t.name))
      for (const { path, method, op } of operationsOf(doc)) {
        const where = `${prefix} ${method.toUpperCase()} ${path}`
        const statuses = Object.keys(op.responses ?? {})
        if (typeof op.operationId !== "string") incomplete.push(`${where}: no operationId`)
        if (typeof op.summary !== "string" || op.summary === "") incomplete.push(`${where}: no summary`)
        if (!Array.isArray(op.tags) || op.tags.length === 0 || !op.tags.every((t: string) => tags.has(t))) incomplete.push(`${where}: tags`)
        if (!Array.isArray(op.security)) incomplete.push(`${where}: security not stated`)
        if (!statuses.some((s) => s.startsWith("2"))) incomplete.push(`${where}: no 2xx response`)
        const secured = Array.isArray(op.security) && op.security.length > 0
        if (secured && !statuses.includes("401")) incomplete.push(`${where}: protected without a 401`)
        if (op.requestBody !== undefined && !statuses.includes("422")) incomplete.push(`${where}: a body without a 422`)
        for (const type of Object.keys(op.requestBody?.content ?? {})) {
          if (type !== "application/json") incomplete.push(`${where}: request body as ${type}`)
        }
        if (path.includes("/_ops/") && !secured) incomplete.push(`${where}: an _ops route without security`)
        for (const [status, response] of Object.entries(op.responses ?? {}) as Array<[string, any]>) {
          if (Number(status) < 400) continue
          const problem = response.content?.["application/problem+json"]?.schema
          const codes = problem?.allOf?.[1]?.properties?.code?.enum
          if (status !== "503" || path !== "/ready") {
            if (!Array.isArray(codes) || codes.length === 0) incomplete.push(`${where}: ${status} without its codes`)
          }
        }
      }
      for (const ops of ["/_ops/dlq", "/_ops/dlq/replay"]) {
        if (doc.paths[`${prefix}${ops}`] === undefined) incomplete.push(`${prefix}: ${ops} undocumented`)
      }
      for (const own of ["/health", "/ready"]) if (doc.paths[own]?.get === undefined) incomplete.push(`${prefix}: ${own} undocumented`)
    }
    expect(incomplete).toEqual([])
  })

  test("the UI of every service loads through the front door, all its assets from the service itself", async () => {
    for (const prefix of PREFIXES) {
      const page = await fetch(`${gateway}${prefix}/openapi`)
      expect({ prefix, status: page.status, type: page.headers.get("content-type") }).toEqual({
        prefix,
        status: 200,
        type: "text/html; charset=utf-8",
      })
      const html = await page.text()
      const urls = [...html.matchAll(/(?:src|href|data-spec-url)="([^"]+)"/g)].map((m) => m[1]!)
      expect(urls.length).toBeGreaterThanOrEqual(4)
      for (const url of urls) {
        const absolute = new URL(url, `${gateway}${prefix}/openapi`)
        // Nothing from another host: the page works offline.
        expect(absolute.origin).toBe(new URL(gateway).origin)
        const res = await fetch(absolute)
        expect({ url, status: res.status }).toEqual({ url, status: 200 })
        await res.arrayBuffer()
      }
      const spec = await fetch(new URL(/data-spec-url="([^"]+)"/.exec(html)![1]!, gateway))
      expect(spec.headers.get("content-type")).toContain("application/json")
      expect(((await spec.json()) as any).info.title).toEndWith("API — Book a Ticket")
    }
  }, 60_000)
})

// Preloaded by `bun test` (bunfig.toml): every response a test receives from one of our services is
// checked against that service's OpenAPI document, and a response the document does not allow fails
// the test that received it. CONTRACT_CHECK=report only prints them; CONTRACT_CHECK=off turns it off.
// CONTRACT_CHECK_REPORT=<file> also writes every finding to that file as JSON.
import { afterAll, afterEach } from "bun:test"
import { writeFileSync } from "node:fs"
import { formatViolation, makeContractChecker, UNCHECKED_FETCH, type ContractViolation } from "./contractCheck.ts"

const mode = (process.env.CONTRACT_CHECK ?? "strict").toLowerCase()

if (mode !== "off") {
  const original = globalThis.fetch
  const checker = makeContractChecker({ fetch: original })

  const checkedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await original(input, init)
    try {
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase()
      const url = res.url !== "" ? res.url : input instanceof Request ? input.url : String(input)
      await checker.observe(method, url, res)
    } catch {
      // Never let the check change what the test sees.
    }
    return res
  }
  globalThis.fetch = Object.assign(checkedFetch, { preconnect: original.preconnect }) as typeof fetch
  ;(globalThis as Record<symbol, unknown>)[UNCHECKED_FETCH] = original

  const all: Array<ContractViolation> = []
  const settle = async (): Promise<void> => {
    const { violations } = await checker.settle()
    if (violations.length === 0) return
    all.push(...violations)
    const text = `${violations.length} response(s) that the service's OpenAPI document does not allow:\n\n${violations.map(formatViolation).join("\n\n")}`
    if (mode === "report") console.warn(`[contract check] ${text}`)
    else throw new Error(text)
  }

  afterEach(settle)
  afterAll(async () => {
    try {
      await settle()
    } finally {
      const { checked, skipped } = checker.totals()
      const kinds = new Set(all.map((v) => `${v.operation} ${v.status} ${v.problem} ${v.errors[0] ?? ""}`)).size
      if (mode === "report" || all.length > 0) {
        console.warn(
          `[contract check] ${checked} responses checked against their services' documents, ${skipped} not ours or not an operation; ` +
            `${all.length} not allowed by the document (${kinds} distinct)`,
        )
      }
      const file = process.env.CONTRACT_CHECK_REPORT
      if (file !== undefined && file !== "") writeFileSync(file, JSON.stringify({ checked, skipped, violations: all }, null, 2))
    }
  })
}

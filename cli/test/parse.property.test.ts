import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { CliError, ExitCode } from "../src/errors.ts"
import { parseCardExpiry, parseDateTime, parseLayoutJson, parsePrice, parseRowLabels, parseSeatList } from "../src/parse.ts"
import { SEAT_NUMBER } from "@bat/contracts"

/** Either a value, or a usage error (exit code 2): never any other exception. */
const onlyUsageErrors = (fn: () => unknown) => {
  try {
    return fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(ExitCode.usage)
    return undefined
  }
}

describe("parsers on any input", () => {
  test("any text either parses or is a usage error", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        onlyUsageErrors(() => parseRowLabels(text))
        onlyUsageErrors(() => parseSeatList(text))
        onlyUsageErrors(() => parseCardExpiry(text))
        onlyUsageErrors(() => parsePrice(text))
        onlyUsageErrors(() => parseDateTime(text, "--starts"))
        onlyUsageErrors(() => parseLayoutJson(text, "layout.json"))
      }),
      { numRuns: 500 },
    )
  })

  test("every parsed seat list is 1 to 10 distinct valid seat numbers", () => {
    const seat = fc.tuple(fc.constantFrom("A", "B", "J", "AA"), fc.integer({ min: 0, max: 1200 })).map(([row, n]) => `${row}${n}`)
    fc.assert(
      fc.property(fc.array(seat, { maxLength: 14 }), (seats) => {
        const parsed = onlyUsageErrors(() => parseSeatList(seats.join(","))) as string[] | undefined
        if (parsed === undefined) return
        expect(parsed.length).toBeGreaterThanOrEqual(1)
        expect(parsed.length).toBeLessThanOrEqual(10)
        expect(new Set(parsed).size).toBe(parsed.length)
        for (const s of parsed) expect(SEAT_NUMBER.test(s)).toBe(true)
      }),
    )
  })
})

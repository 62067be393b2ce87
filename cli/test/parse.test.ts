import { describe, expect, test } from "bun:test"
import { CliError, ExitCode } from "../src/errors.ts"
import {
  formatMoney,
  layoutFromRows,
  parseCardExpiry,
  parseCardNumber,
  parseDateTime,
  parseId,
  parseLayoutJson,
  parsePrice,
  parseRowLabels,
  parseSeatList,
} from "../src/parse.ts"

const usage = (fn: () => unknown): CliError => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(ExitCode.usage)
    return error as CliError
  }
  throw new Error("expected a usage error")
}

describe("--rows", () => {
  test("A-J is the ten rows from A to J", () => {
    expect(parseRowLabels("A-J")).toEqual(["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"])
  })
  test("lists and ranges combine, and lower case is accepted", () => {
    expect(parseRowLabels("a-c, E,g-h")).toEqual(["A", "B", "C", "E", "G", "H"])
  })
  test("ranges run on past Z into two-letter rows", () => {
    expect(parseRowLabels("Y-AB")).toEqual(["Y", "Z", "AA", "AB"])
  })
  test("a backwards range says how to write it", () => {
    expect(usage(() => parseRowLabels("J-A")).message).toContain("A-J")
  })
  test("a row listed twice, a digit and an empty spec are refused", () => {
    expect(usage(() => parseRowLabels("A-C,B")).message).toContain("row B is listed twice")
    usage(() => parseRowLabels("1-3"))
    usage(() => parseRowLabels(""))
  })
  test("more than a hundred rows are refused", () => {
    expect(usage(() => parseRowLabels("A-DZ")).message).toContain("100 rows")
  })
  test("--rows with --seats gives every row the same number of seats", () => {
    expect(layoutFromRows("A-B", "14")).toEqual([
      { label: "A", seats: 14 },
      { label: "B", seats: 14 },
    ])
    usage(() => layoutFromRows("A-B", "0"))
    usage(() => layoutFromRows("A-B", "fourteen"))
  })
  test("a layout file may be a list of rows or an object with rows", () => {
    const rows = [{ label: "A", seats: 8 }, { label: "B", seats: 10 }]
    expect(parseLayoutJson(JSON.stringify(rows), "f.json")).toEqual(rows)
    expect(parseLayoutJson(JSON.stringify({ rows }), "f.json")).toEqual(rows)
    usage(() => parseLayoutJson("{", "f.json"))
    usage(() => parseLayoutJson('[{"label":"a1","seats":3}]', "f.json"))
    usage(() => parseLayoutJson('[{"label":"A","seats":3},{"label":"A","seats":4}]', "f.json"))
  })
})

describe("--seats", () => {
  test("a comma list is upper-cased and kept in order", () => {
    expect(parseSeatList("a1,A2, b10")).toEqual(["A1", "A2", "B10"])
  })
  test("a range in one row expands", () => {
    expect(parseSeatList("C3-C6")).toEqual(["C3", "C4", "C5", "C6"])
    expect(parseSeatList("C3-6")).toEqual(["C3", "C4", "C5", "C6"])
  })
  test("a range across rows, a seat 0 and a seat listed twice are refused", () => {
    expect(usage(() => parseSeatList("A1-B3")).message).toContain("one row")
    usage(() => parseSeatList("A0"))
    expect(usage(() => parseSeatList("A1,a1")).message).toContain("A1 is listed twice")
  })
  test("more than ten seats are refused", () => {
    expect(usage(() => parseSeatList("A1-A11")).message).toContain("at most 10")
    expect(usage(() => parseSeatList("A1,A2,A3,A4,A5,A6,B1,B2,B3,B4,B5")).message).toContain("at most 10")
  })
  test("nothing at all is refused with an example", () => {
    expect(usage(() => parseSeatList(" , ")).message).toContain("--seats A1,A2")
  })
})

describe("card details", () => {
  const now = new Date("2026-06-15T00:00:00Z")
  test("MM/YY and MM/YYYY both give a four-digit year", () => {
    expect(parseCardExpiry("12/30", now)).toEqual({ expMonth: 12, expYear: 2030 })
    expect(parseCardExpiry("1/2031", now)).toEqual({ expMonth: 1, expYear: 2031 })
  })
  test("the current month is still valid, the month before is expired", () => {
    expect(parseCardExpiry("06/26", now)).toEqual({ expMonth: 6, expYear: 2026 })
    expect(usage(() => parseCardExpiry("05/26", now)).message).toContain("expired")
  })
  test("month 13 and free text are refused", () => {
    usage(() => parseCardExpiry("13/30", now))
    expect(usage(() => parseCardExpiry("next year", now)).message).toContain("MM/YY")
  })
  test("card numbers may carry spaces and dashes and must pass the Luhn check", () => {
    expect(parseCardNumber("4242 4242-4242 4242")).toBe("4242424242424242")
    expect(parseCardNumber("4000000000000002")).toBe("4000000000000002")
    usage(() => parseCardNumber("4242424242424241"))
    usage(() => parseCardNumber("42"))
  })
  test("a refused card number is never echoed in the message", () => {
    expect(usage(() => parseCardNumber("4242424242424241")).message).not.toContain("4242424242424241")
    expect(usage(() => parseCardNumber("4242abcd42424241")).message).not.toContain("4242abcd")
  })
})

describe("prices, times and ids", () => {
  test("prices become integer minor units in their currency", () => {
    expect(parsePrice("12.50")).toEqual({ amount: 1250, currency: "EUR" })
    expect(parsePrice("9 gbp")).toEqual({ amount: 900, currency: "GBP" })
    expect(parsePrice("USD 7,5")).toEqual({ amount: 750, currency: "USD" })
    expect(parsePrice("1200", "JPY")).toEqual({ amount: 1200, currency: "JPY" })
    usage(() => parsePrice("12.505"))
    usage(() => parsePrice("-1"))
    usage(() => parsePrice("12.50 EUR USD"))
  })
  test("money is shown with its decimals and currency", () => {
    expect(formatMoney(1250, "EUR")).toBe("EUR 12.50")
    expect(formatMoney(1200, "JPY")).toBe("JPY 1,200")
    expect(formatMoney(123456, "EUR")).toBe("EUR 1,234.56")
    expect(formatMoney(-500, "EUR")).toBe("EUR -5.00")
  })
  test("times need an explicit offset", () => {
    expect(parseDateTime("2026-12-01T18:30:00Z", "--starts")).toBe("2026-12-01T18:30:00Z")
    expect(parseDateTime("2026-12-01T19:30+01:00", "--starts")).toBe("2026-12-01T19:30+01:00")
    expect(usage(() => parseDateTime("2026-12-01T18:30", "--starts")).message).toContain("offset")
    usage(() => parseDateTime("tomorrow", "--starts"))
  })
  test("ids must be UUIDs", () => {
    expect(parseId("0190D7C4-5A1B-7C3E-9F00-123456789ABC", "id")).toBe("0190d7c4-5a1b-7c3e-9f00-123456789abc")
    expect(usage(() => parseId("42", "screeningId")).message).toContain("screeningId")
  })
})

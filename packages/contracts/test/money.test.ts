import { describe, expect, test } from "bun:test"
import { formatMoney, fractionDigits } from "../src/money.ts"

describe("money as people read it", () => {
  test("the code first for notices, e-mails and the CLI, the symbol for the page, by the currency's decimals", () => {
    expect(formatMoney(1250, "EUR")).toBe("EUR 12.50")
    expect(formatMoney(-500, "EUR")).toBe("EUR -5.00")
    expect(formatMoney(123456, "USD")).toBe("USD 1,234.56")
    expect(formatMoney(1200, "JPY")).toBe("JPY 1,200")
    expect(formatMoney(1250, "EUR", "symbol")).toBe("€12.50")
    expect(formatMoney(1250, "GBP", "symbol")).toBe("£12.50")
    expect([fractionDigits("EUR"), fractionDigits("JPY"), fractionDigits("BHD")]).toEqual([2, 0, 3])
  })

  test("no no-break spaces reach a mail client, and an unknown code is still written with two decimals", () => {
    expect(formatMoney(1250, "EUR", "symbol", "de-DE")).toBe("12,50 €")
    expect(formatMoney(999, "XQQ")).toBe("XQQ 9.99")
    expect(formatMoney(999, "XQQ", "symbol")).not.toMatch(/[\u00a0\u202f]/)
  })
})

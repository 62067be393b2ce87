import { PaymentsApi } from "@bat/contracts"
import { describe, expect, test } from "bun:test"
import { Schema } from "effect"
import { cardExpired, last4 } from "../src/domain/card.ts"

describe("card rules", () => {
  test("the test cards pass the Luhn check and a changed digit fails it", () => {
    for (const n of ["4242424242424242", "4000000000000002", "4000000000009995", "5555555555554444", "378282246310005"]) {
      expect(PaymentsApi.luhnValid(n)).toBe(true)
    }
    expect(PaymentsApi.luhnValid("4242424242424241")).toBe(false)
    expect(PaymentsApi.luhnValid("")).toBe(false)
    expect(PaymentsApi.luhnValid("42424242424242a2")).toBe(false)
  })

  test("a card number's schema error never quotes the number", () => {
    const result = Schema.decodeUnknownResult(PaymentsApi.Card)({ number: "4242424242424241", expMonth: 1, expYear: 2030, cvc: "123" })
    expect(result._tag).toBe("Failure")
    if (result._tag === "Failure") expect(result.failure.message).not.toContain("4242424242424241")
  })

  test("a card is valid through the last day of its expiry month", () => {
    const endOfMarch = Date.parse("2030-03-31T23:59:59Z")
    expect(cardExpired({ expMonth: 3, expYear: 2030 }, endOfMarch)).toBe(false)
    expect(cardExpired({ expMonth: 3, expYear: 2030 }, Date.parse("2030-04-01T00:00:00Z"))).toBe(true)
    expect(cardExpired({ expMonth: 12, expYear: 2029 }, endOfMarch)).toBe(true)
    expect(cardExpired({ expMonth: 1, expYear: 2031 }, endOfMarch)).toBe(false)
  })

  test("only the last four digits are kept", () => {
    expect(last4("4242424242424242")).toBe("4242")
  })
})

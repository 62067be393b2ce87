import { describe, expect, test } from "bun:test"
import { adminAccountFrom, DEV_ADMIN_EMAIL, mayUnregister, normaliseEmail, tokenTtlMinutesFrom } from "../src/domain/accounts.ts"

describe("account rules", () => {
  test("e-mails are trimmed and lower-cased", () => {
    expect(normaliseEmail("  Ann@Example.COM ")).toBe("ann@example.com")
  })

  test("a customer may unregister only themselves; staff may unregister anyone", () => {
    expect(mayUnregister({ userId: "a", role: "customer" }, "a")).toBe(true)
    expect(mayUnregister({ userId: "a", role: "customer" }, "b")).toBe(false)
    expect(mayUnregister({ userId: "a", role: "staff" }, "b")).toBe(true)
  })

  test("in production the staff account must be configured; in development defaults fill the gaps", () => {
    expect(adminAccountFrom({}, true)).toBeTypeOf("string")
    expect(adminAccountFrom({ ADMIN_EMAIL: "a@b.co" }, true)).toBeTypeOf("string")
    expect(adminAccountFrom({ ADMIN_EMAIL: "Boss@B.co", ADMIN_PASSWORD: "long-enough" }, true)).toEqual({
      email: "boss@b.co",
      password: "long-enough",
      fullName: "Administrator",
      isDevDefault: false
    })
    expect(adminAccountFrom({}, false)).toMatchObject({ email: DEV_ADMIN_EMAIL, isDevDefault: true })
    expect(adminAccountFrom({ ADMIN_EMAIL: "not-an-email", ADMIN_PASSWORD: "long-enough" }, false)).toBeTypeOf("string")
    expect(adminAccountFrom({ ADMIN_EMAIL: "a@b.co", ADMIN_PASSWORD: "short" }, true)).toBeTypeOf("string")
  })

  test("the token lifetime defaults to 15 minutes and rejects nonsense", () => {
    expect(tokenTtlMinutesFrom(undefined)).toBe(15)
    expect(tokenTtlMinutesFrom("60")).toBe(60)
    for (const bad of ["0", "-1", "1.5", "abc", "100000"]) expect(tokenTtlMinutesFrom(bad)).toBeTypeOf("string")
  })
})

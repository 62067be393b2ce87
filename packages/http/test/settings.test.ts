import { describe, expect, test } from "bun:test"
import { intSetting } from "../src/settings.ts"

describe("integer settings", () => {
  test("unset or empty is the default; an integer of at least the minimum is taken", () => {
    expect(intSetting({}, "X", 7)).toBe(7)
    expect(intSetting({ X: "" }, "X", 7)).toBe(7)
    expect(intSetting({ X: "0" }, "X", 7)).toBe(0)
    expect(intSetting({ X: "42" }, "X", 7, 1)).toBe(42)
  })
  test("anything else stops the service with a sentence naming the setting", () => {
    expect(() => intSetting({ X: "-1" }, "X", 7)).toThrow("X must be a non-negative integer, got \"-1\"")
    expect(() => intSetting({ X: "0" }, "X", 7, 1)).toThrow("X must be a positive integer")
    for (const bad of ["1.5", "1e3", "abc", "0x10", " ", "9007199254740993"]) expect(() => intSetting({ X: bad }, "X", 7)).toThrow("X must be")
  })
})

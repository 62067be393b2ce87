import { describe, expect, test } from "bun:test"
import { Schema } from "effect"
import { TimeZone } from "../src/primitives.ts"

const accepts = (value: unknown) => Schema.decodeUnknownExit(TimeZone)(value)._tag === "Success"

describe("TimeZone", () => {
  test("IANA zones the runtime knows are accepted, UTC and links included", () => {
    for (const zone of ["Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide", "America/New_York", "UTC", "Asia/Calcutta"]) {
      expect(accepts(zone)).toBe(true)
    }
  })

  test("names no runtime knows, bare offsets, empty strings and non-strings are refused", () => {
    for (const value of ["Mars/Olympus_Mons", "Europe/Atlantis", "+02:00", "", " ", 42, null]) expect(accepts(value)).toBe(false)
  })

  test("JSON Schema documents it as a string with a description", () => {
    expect(Schema.toJsonSchemaDocument(TimeZone).schema).toEqual({
      type: "string",
      description: "An IANA time zone name the runtime knows, such as Europe/Berlin or UTC."
    })
  })
})

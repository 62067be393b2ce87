import { describe, expect, test } from "bun:test"
import { Schema } from "effect"
import { HttpProblem, makeCursor } from "../src/index.ts"

const Uuid = Schema.String.check(Schema.isUUID())
const Position = Schema.Struct({ startsAt: Schema.Int, id: Uuid })
const id = "0196b5e6-6a3e-7c3a-9a51-3c1f0d6f7a10"

const refusal = (run: () => unknown) => {
  try {
    run()
  } catch (e) {
    return e
  }
  return undefined
}

const expectInvalidCursor = (run: () => unknown) => {
  const error = refusal(run)
  expect(error).toBeInstanceOf(HttpProblem)
  const problem = (error as HttpProblem).toJSON()
  expect(problem).toEqual({
    type: "urn:bookaticket:problem:invalid_cursor",
    title: "Unprocessable Content",
    status: 422,
    detail: expect.any(String),
    code: "invalid_cursor",
    errors: [{ path: "cursor", message: expect.any(String) }],
  })
}

describe("page cursors", () => {
  const things = makeCursor("things", Uuid)
  const positions = makeCursor("positions", Position)

  test("a cursor decodes to the key it was made from, and is URL-safe", () => {
    const cursor = things.encode(id)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(things.decode(cursor)).toBe(id)
    const at = { startsAt: 1_767_000_000_000, id }
    expect(positions.decode(positions.encode(at))).toEqual(at)
  })

  test("no cursor is the first page, with the default limit of 50", () => {
    expect(things.decode(undefined)).toBeUndefined()
    expect(things.request({})).toEqual({ limit: 50, after: undefined })
    expect(things.request({ limit: 7, cursor: things.encode(id) })).toEqual({ limit: 7, after: id })
  })

  test("a page carries the next cursor, or null on the last page", () => {
    expect(things.page({ items: [1, 2], next: id })).toEqual({ items: [1, 2], nextCursor: things.encode(id) })
    expect(things.page({ items: [], next: null })).toEqual({ items: [], nextCursor: null })
  })

  test("a cursor this list did not hand out is a 422 invalid_cursor with a field error on cursor", () => {
    const good = things.encode(id)
    const refused = [
      "garbage",
      "!!!",
      "",
      "a b",
      good + "A", // not the spelling handed out (stray bits)
      good.slice(0, -2),
      "x".repeat(600),
      Buffer.from("not json").toString("base64url"),
      Buffer.from(JSON.stringify(["things", "not-a-uuid"])).toString("base64url"),
      Buffer.from(JSON.stringify(id)).toString("base64url"),
      Buffer.from(id).toString("base64url"), // the old format: the bare id
      positions.encode({ startsAt: 1, id }), // another list's cursor
      makeCursor("other", Uuid).encode(id),
    ]
    for (const cursor of refused) expectInvalidCursor(() => things.decode(cursor))
    expectInvalidCursor(() => things.request({ cursor: "garbage" }))
    expectInvalidCursor(() => positions.decode(Buffer.from(JSON.stringify(["positions", { startsAt: 1.5, id }])).toString("base64url")))
  })
})

// The Server-Sent Events helper: where a stream resumes, and one open stream's wake-ups and close.
import { describe, expect, test } from "bun:test"
import { lastEventIdOf, SseClient, sseComment, sseEvent } from "../src/sse.ts"
import { metricsText } from "../src/metrics.ts"

const clients = async (stream: string): Promise<number> => {
  const line = (await metricsText()).split("\n").find((l) => l.startsWith(`bookaticket_stream_clients{stream="${stream}"}`))
  return line === undefined ? 0 : Number(line.split(" ").at(-1))
}

describe("Last-Event-ID", () => {
  test("the header wins over ?lastEventId=, whitespace is ignored, empty is absent, anything else is malformed", () => {
    expect(lastEventIdOf("7", "3")).toEqual({ kind: "id", id: 7 })
    expect(lastEventIdOf(" 7 ", undefined)).toEqual({ kind: "id", id: 7 })
    expect(lastEventIdOf(undefined, "3")).toEqual({ kind: "id", id: 3 })
    expect(lastEventIdOf("  ", 3)).toEqual({ kind: "id", id: 3 })
    expect(lastEventIdOf(undefined, undefined)).toEqual({ kind: "none" })
    expect(lastEventIdOf("", "")).toEqual({ kind: "none" })
    expect(lastEventIdOf("abc", "3")).toEqual({ kind: "malformed", raw: "abc" })
    expect(lastEventIdOf("-1", undefined)).toEqual({ kind: "malformed", raw: "-1" })
    expect(lastEventIdOf("1".repeat(16), undefined).kind).toBe("malformed")
    expect(lastEventIdOf("9".repeat(15), undefined)).toEqual({ kind: "id", id: 999_999_999_999_999 })
  })

  test("frames: a comment with an optional reconnect delay, an event with its id and JSON data", () => {
    expect(sseComment("ping")).toBe(": ping\n\n")
    expect(sseComment("connected", 2_000)).toBe("retry: 2000\n: connected\n\n")
    expect(sseEvent(3, "seats", { a: 1 })).toBe('id: 3\nevent: seats\ndata: {"a":1}\n\n')
  })
})

describe("SseClient", () => {
  test("a wake-up while nobody waits is kept; quiet times out for a heartbeat", async () => {
    const client = new SseClient("test_sse_wake", new AbortController().signal)
    client.wake()
    expect(await client.wait(10_000)).toBe(true)
    expect(await client.wait(5)).toBe(false)
    const waiting = client.wait(10_000)
    client.wake()
    expect(await waiting).toBe(true)
    client.close()
  })

  test("closing (by the client going away or by close) runs each cleanup once, in reverse, and releases a waiter", async () => {
    const before = await clients("test_sse_close")
    const abort = new AbortController()
    const client = new SseClient("test_sse_close", abort.signal)
    expect(await clients("test_sse_close")).toBe(before + 1)
    const order: Array<string> = []
    client.onClose(() => order.push("release"))
    client.onClose(() => order.push("unsubscribe"))
    const waiting = client.wait(60_000)
    abort.abort()
    expect(await waiting).toBe(true)
    expect(client.closed).toBe(true)
    client.close()
    expect(order).toEqual(["unsubscribe", "release"])
    expect(await clients("test_sse_close")).toBe(before)
    // Registered after the close: run at once.
    client.onClose(() => order.push("late"))
    expect(order.at(-1)).toBe("late")
  })

  test("a stream whose request is already aborted starts closed", () => {
    const abort = new AbortController()
    abort.abort()
    expect(new SseClient("test_sse_aborted", abort.signal).closed).toBe(true)
  })
})

import { describe, expect, test } from "bun:test"
import { formatLocal, formatLocalShort } from "../src/localTime.ts"

describe("local times", () => {
  test("a December evening in Berlin reads in CET with and without the year", () => {
    expect(formatLocal("2026-12-05T18:30:00.000Z", "Europe/Berlin")).toBe("Sat 5 Dec 2026, 19:30 CET")
    expect(formatLocalShort("2026-12-05T18:30:00.000Z", "Europe/Berlin")).toBe("Sat 5 Dec, 19:30 CET")
  })

  test("on the last Sunday of October Berlin changes from CEST to CET", () => {
    // 02:30 happens twice on 25 Oct 2026: first in summer time (UTC+2), then in winter time (UTC+1).
    expect(formatLocal("2026-10-25T00:30:00.000Z", "Europe/Berlin")).toBe("Sun 25 Oct 2026, 02:30 CEST")
    expect(formatLocal("2026-10-25T01:30:00.000Z", "Europe/Berlin")).toBe("Sun 25 Oct 2026, 02:30 CET")
    expect(formatLocal("2026-10-25T18:00:00.000Z", "Europe/Berlin")).toBe("Sun 25 Oct 2026, 19:00 CET")
    expect(formatLocal("2026-10-24T18:00:00.000Z", "Europe/Berlin")).toBe("Sat 24 Oct 2026, 20:00 CEST")
  })

  test("a zone with a 30-minute offset shows the half hour and the offset, crossing midnight", () => {
    expect(formatLocal("2026-12-05T18:30:00.000Z", "Asia/Kolkata")).toBe("Sun 6 Dec 2026, 00:00 GMT+5:30")
    expect(formatLocalShort("2026-12-05T13:45:00.000Z", "Asia/Kolkata")).toBe("Sat 5 Dec, 19:15 GMT+5:30")
    // Adelaide moves from +9:30 to +10:30 on the first Sunday of October.
    expect(formatLocal("2026-09-30T09:00:00.000Z", "Australia/Adelaide")).toBe("Wed 30 Sept 2026, 18:30 GMT+9:30")
    expect(formatLocal("2026-12-05T09:00:00.000Z", "Australia/Adelaide")).toBe("Sat 5 Dec 2026, 19:30 GMT+10:30")
  })

  test("UTC reads as UTC", () => {
    expect(formatLocal("2026-12-05T18:30:00.000Z", "UTC")).toBe("Sat 5 Dec 2026, 18:30 UTC")
  })
})

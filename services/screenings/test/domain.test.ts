// Pure scheduling and seat-map rules.
import { describe, expect, test } from "bun:test"
import { StartTimeInPast, StartTimeTooFar } from "../src/domain/errors.ts"
import {
  checkStartTime,
  cleaningGapMinutesFrom,
  endsAtOf,
  hasStarted,
  occupancyOf,
  overlaps,
  SCHEDULING_HORIZON_MS
} from "../src/domain/schedule.ts"
import { buildSeatMap } from "../src/domain/seatMap.ts"

const T = Date.parse("2030-05-01T18:00:00Z")
const min = 60_000

describe("scheduling rules", () => {
  test("a screening ends its movie's running time after it starts", () => {
    expect(endsAtOf(T, 95)).toBe(T + 95 * min)
  })

  test("two screenings conflict when their occupied intervals, cleaning gap included, overlap", () => {
    const first = occupancyOf(T, T + 100 * min, 15 * min)
    expect(overlaps(first, occupancyOf(T + 114 * min, T + 200 * min, 15 * min))).toBe(true)
    expect(overlaps(first, occupancyOf(T + 115 * min, T + 200 * min, 15 * min))).toBe(false)
    expect(overlaps(first, occupancyOf(T - 115 * min, T - 15 * min, 15 * min))).toBe(false)
    expect(overlaps(first, occupancyOf(T - 115 * min, T - 14 * min, 15 * min))).toBe(true)
    expect(overlaps(first, occupancyOf(T + 10 * min, T + 20 * min, 0))).toBe(true)
  })

  test("a screening has begun from its start time on", () => {
    expect(hasStarted(T, T - 1)).toBe(false)
    expect(hasStarted(T, T)).toBe(true)
  })

  test("a start time must lie in the future and within the horizon", () => {
    expect(checkStartTime("2030-05-01T18:00:00Z", T)).toBeInstanceOf(StartTimeInPast)
    expect(checkStartTime("2030-05-01T20:00:00+02:00", T)).toBeInstanceOf(StartTimeInPast)
    expect(checkStartTime("2030-05-01T18:00:01Z", T)).toBe(T + 1_000)
    expect(checkStartTime(new Date(T + SCHEDULING_HORIZON_MS + 1).toISOString(), T)).toBeInstanceOf(StartTimeTooFar)
  })

  test("the cleaning gap defaults to 15 minutes and rejects nonsense", () => {
    expect(cleaningGapMinutesFrom(undefined)).toBe(15)
    expect(cleaningGapMinutesFrom("0")).toBe(0)
    expect(cleaningGapMinutesFrom("30")).toBe(30)
    expect(() => cleaningGapMinutesFrom("-1")).toThrow()
    expect(() => cleaningGapMinutesFrom("ten")).toThrow()
  })
})

describe("seat map", () => {
  test("seats follow the hall layout, held seats show their state, and counts add up to capacity", () => {
    const map = buildSeatMap(
      [
        { label: "A", seats: 2 },
        { label: "B", seats: 1 }
      ],
      [
        { seatNumber: "A2", status: "reserved" },
        { seatNumber: "B1", status: "booked" },
        { seatNumber: "B1", status: "reserved" }
      ]
    )
    expect(map).toEqual({
      rows: [
        { label: "A", seats: [{ seatNumber: "A1", status: "available" }, { seatNumber: "A2", status: "reserved" }] },
        { label: "B", seats: [{ seatNumber: "B1", status: "booked" }] }
      ],
      counts: { available: 1, reserved: 1, booked: 1 }
    })
  })
})

import { describe, expect, test } from "bun:test"
import { renderSeatMap, SEAT_SYMBOLS, type SeatMapView, type SeatStatus } from "../src/seatMap.ts"

const map = (statuses: Record<string, SeatStatus[]>, counts?: SeatMapView["counts"]): SeatMapView => ({
  screeningId: "s",
  hallId: "h",
  rows: Object.entries(statuses).map(([label, seats]) => ({
    label,
    seats: seats.map((status, i) => ({ seatNumber: `${label}${i + 1}`, status })),
  })),
  ...(counts ? { counts } : {}),
})

const strip = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "")

describe("seat map", () => {
  const view = map({
    A: ["available", "reserved", "booked", "available"],
    B: ["booked", "booked", "available"],
  })

  test("draws one line per row with each seat's symbol under its number", () => {
    const lines = renderSeatMap(view, { colour: false }).split("\n")
    const a = lines.find((l) => l.startsWith("A "))
    const b = lines.find((l) => l.startsWith("B "))
    expect(a).toBe(`A   ${SEAT_SYMBOLS.available}  ${SEAT_SYMBOLS.reserved}  ${SEAT_SYMBOLS.booked}  ${SEAT_SYMBOLS.available}  A`)
    expect(b).toBe(`B   ${SEAT_SYMBOLS.booked}  ${SEAT_SYMBOLS.booked}  ${SEAT_SYMBOLS.available}     B`)
    expect(lines.some((l) => l.trim() === "1  2  3  4")).toBe(true)
  })

  test("shows the screen above the seats", () => {
    const text = renderSeatMap(view, { colour: false })
    expect(text.indexOf("SCREEN")).toBeLessThan(text.indexOf("A   "))
  })

  test("the legend counts each status", () => {
    const legend = renderSeatMap(view, { colour: false }).split("\n").at(-1) ?? ""
    expect(legend).toContain("available 3")
    expect(legend).toContain("reserved 1")
    expect(legend).toContain("booked 3")
  })

  test("the service's counts win over the drawn ones", () => {
    const legend = renderSeatMap({ ...view, counts: { available: 10, reserved: 0, booked: 2 } }, { colour: false }).split("\n").at(-1) ?? ""
    expect(legend).toContain("available 10")
    expect(legend).toContain("booked 2")
  })

  test("colour paints available green, reserved yellow and booked red, and only when asked", () => {
    const coloured = renderSeatMap(view, { colour: true })
    expect(coloured).toContain(`\x1b[32m${SEAT_SYMBOLS.available}`)
    expect(coloured).toContain(`\x1b[33m${SEAT_SYMBOLS.reserved}`)
    expect(coloured).toContain(`\x1b[31m${SEAT_SYMBOLS.booked}`)
    expect(strip(coloured)).toBe(renderSeatMap(view, { colour: false }))
    expect(renderSeatMap(view, { colour: false })).not.toContain("\x1b[")
  })

  test("seats out of order still land in their column, and wide halls get wider cells", () => {
    const wide = map({ A: Array.from({ length: 12 }, () => "available" as SeatStatus) })
    const reversed: SeatMapView = { ...wide, rows: [{ label: "A", seats: [...(wide.rows[0]?.seats ?? [])].reverse() }] }
    expect(renderSeatMap(reversed, { colour: false })).toBe(renderSeatMap(wide, { colour: false }))
    expect(renderSeatMap(wide, { colour: false })).toContain(" 10 11 12")
  })
})

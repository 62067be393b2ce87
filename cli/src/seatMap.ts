// Draws a screening's seat map in the terminal: screen on top, one line per row, a legend with counts.
import picocolors from "picocolors"

export type SeatStatus = "available" | "reserved" | "booked"

export interface SeatMapView {
  readonly screeningId: string
  readonly hallId: string
  readonly rows: ReadonlyArray<{ label: string; seats: ReadonlyArray<{ seatNumber: string; status: SeatStatus }> }>
  readonly counts?: Partial<Record<SeatStatus, number>>
}

/** Symbols differ in shape as well as colour, so the map reads without colour too. */
export const SEAT_SYMBOLS: Record<SeatStatus, string> = { available: "○", reserved: "◐", booked: "●" }

const seatIndex = (seatNumber: string): number => Number(/\d+$/.exec(seatNumber)?.[0] ?? 0)

export const renderSeatMap = (map: SeatMapView, options: { colour: boolean }): string => {
  const c = picocolors.createColors(options.colour)
  const paint: Record<SeatStatus, (s: string) => string> = { available: c.green, reserved: c.yellow, booked: c.red }

  const maxSeat = Math.max(0, ...map.rows.flatMap((row) => row.seats.map((s) => seatIndex(s.seatNumber))))
  const cell = Math.max(3, String(maxSeat).length + 1)
  const labelWidth = Math.max(1, ...map.rows.map((row) => row.label.length))
  const gridWidth = maxSeat * cell

  const counts: Record<SeatStatus, number> = { available: 0, reserved: 0, booked: 0 }
  const lines: string[] = []
  const margin = " ".repeat(labelWidth + 1)

  const screen = "SCREEN"
  const bar = "━".repeat(Math.max(gridWidth, screen.length + 4))
  const pad = Math.max(0, Math.floor((bar.length - screen.length) / 2))
  lines.push(`${margin}${c.dim(bar)}`)
  lines.push(`${margin}${" ".repeat(pad)}${c.bold(screen)}`)
  lines.push("")

  let numbers = ""
  for (let n = 1; n <= maxSeat; n++) numbers += String(n).padStart(cell)
  lines.push(`${margin}${c.dim(numbers)}`)

  for (const row of map.rows) {
    const bySeat = new Map(row.seats.map((s) => [seatIndex(s.seatNumber), s.status]))
    let line = ""
    for (let n = 1; n <= maxSeat; n++) {
      const status = bySeat.get(n)
      if (status === undefined) {
        line += " ".repeat(cell)
        continue
      }
      counts[status]++
      line += " ".repeat(cell - 1) + paint[status](SEAT_SYMBOLS[status])
    }
    lines.push(`${c.bold(row.label.padStart(labelWidth))} ${line}  ${c.bold(row.label)}`)
  }

  // The service's counts are authoritative; the drawn ones are the fallback.
  const shown = { ...counts, ...map.counts }
  lines.push("")
  lines.push(
    `${margin}${(["available", "reserved", "booked"] as const)
      .map((s) => `${paint[s](SEAT_SYMBOLS[s])} ${s} ${shown[s] ?? 0}`)
      .join("   ")}`,
  )
  return lines.join("\n")
}

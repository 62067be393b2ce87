// Pure seat-map assembly: a hall layout plus the held seats (by ticket) gives each seat's status.
import { seatNumbersOf, type RowLayout } from "@bat/contracts"

export type SeatStatus = "available" | "reserved" | "booked"
export type HeldStatus = "reserved" | "booked"

export interface SeatMapView {
  readonly rows: Array<{ label: string; seats: Array<{ seatNumber: string; status: SeatStatus }> }>
  readonly counts: { available: number; reserved: number; booked: number }
}

/** `held` lists live tickets; if two tickets claim one seat (advisory data), booked wins. */
export const buildSeatMap = (
  layout: ReadonlyArray<RowLayout>,
  held: ReadonlyArray<{ readonly seatNumber: string; readonly status: HeldStatus }>
): SeatMapView => {
  const bySeat = new Map<string, HeldStatus>()
  for (const h of held) {
    if (bySeat.get(h.seatNumber) !== "booked") bySeat.set(h.seatNumber, h.status)
  }
  const counts = { available: 0, reserved: 0, booked: 0 }
  const rows = layout.map((row) => ({
    label: row.label,
    seats: seatNumbersOf([row]).map((seatNumber) => {
      const status: SeatStatus = bySeat.get(seatNumber) ?? "available"
      counts[status]++
      return { seatNumber, status }
    })
  }))
  return { rows, counts }
}

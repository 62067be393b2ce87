// The hall's seats as toggle buttons: `Seat A3, available|held|sold`, pressed when chosen, disabled unless
// available. Tab and Space/Enter work as for any button; the arrow keys move between seats.
import { seatWord } from "../format.ts"
import type { SeatRow } from "../views.ts"

const moveFocus = (event: KeyboardEvent): void => {
  const keys: Record<string, [number, number]> = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }
  const step = keys[event.key]
  const current = event.target as HTMLElement
  if (!step || current.tagName !== "BUTTON") return
  const grid = event.currentTarget as HTMLElement
  const rows = [...grid.querySelectorAll<HTMLElement>("[data-row]")].map((row) => [...row.querySelectorAll<HTMLButtonElement>("button")])
  const r = rows.findIndex((row) => row.includes(current as HTMLButtonElement))
  if (r < 0) return
  const c = rows[r]!.indexOf(current as HTMLButtonElement)
  event.preventDefault()
  if (step[0] === 0) {
    // Along the row, to the next seat that can be chosen.
    for (let i = c + step[1]; i >= 0 && i < rows[r]!.length; i += step[1]) {
      if (!rows[r]![i]!.disabled) return rows[r]![i]!.focus()
    }
  } else {
    for (let j = r + step[0]; j >= 0 && j < rows.length; j += step[0]) {
      const row = rows[j]!
      // The nearest free seat to the same position in that row.
      const order = row.map((_, i) => i).sort((a, b) => Math.abs(a - c) - Math.abs(b - c))
      const target = order.map((i) => row[i]!).find((b) => !b.disabled)
      if (target) return target.focus()
    }
  }
}

export function SeatMap(props: {
  rows: readonly SeatRow[]
  selected: readonly string[]
  onToggle: (seatNumber: string) => void
  disabled?: boolean
}) {
  return (
    <div class="seatmap" role="group" aria-label="Seats" onKeyDown={moveFocus}>
      <div class="screen" aria-hidden="true">
        Screen
      </div>
      {props.rows.map((row) => (
        <div class="seat-row" data-row={row.label} key={row.label}>
          <span class="row-label" aria-hidden="true">
            {row.label}
          </span>
          {row.seats.map((seat) => {
            const selected = props.selected.includes(seat.seatNumber)
            const word = seatWord(seat.status)
            return (
              <button
                key={seat.seatNumber}
                type="button"
                class={`seat ${seat.status}${selected ? " selected" : ""}`}
                aria-label={`Seat ${seat.seatNumber}, ${word}`}
                aria-pressed={selected ? "true" : "false"}
                disabled={seat.status !== "available" || props.disabled === true}
                title={`Seat ${seat.seatNumber}, ${word}`}
                onClick={() => props.onToggle(seat.seatNumber)}
              >
                {seat.seatNumber.replace(/^[A-Z]+/, "")}
              </button>
            )
          })}
        </div>
      ))}
      <ul class="legend" aria-hidden="true">
        <li>
          <span class="seat available" /> available
        </li>
        <li>
          <span class="seat available selected" /> your choice
        </li>
        <li>
          <span class="seat reserved" /> held
        </li>
        <li>
          <span class="seat booked" /> sold
        </li>
      </ul>
    </div>
  )
}

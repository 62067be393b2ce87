// One screening: the live seat map, choosing seats, booking them, the hold counting down, paying, and
// the outcome arriving live.
import { useEffect, useMemo, useRef, useState } from "preact/hooks"
import { get, idempotencyKey, post } from "../api.ts"
import { Link } from "../components/Link.tsx"
import { PaymentForm, type CardInput } from "../components/PaymentForm.tsx"
import { SeatMap } from "../components/SeatMap.tsx"
import { cinemaName, hallName, localDay, localTime, localZone, minutesSeconds, money, movieTitle, plural } from "../format.ts"
import { onNotification } from "../notifications.ts"
import { location, navigate } from "../router.ts"
import { followSeats } from "../seatFeed.ts"
import { DECLINED, HOLD_EXPIRED, INSUFFICIENT, bookingEnded, fieldSentences, seatsTaken, sentence } from "../sentences.ts"
import { session } from "../session.ts"
import { say } from "../status.ts"
import type { Booking, Payment, Screening, SeatRow } from "../views.ts"

const MAX_SEATS = 10
const BOOKING_POLL_MS = 2_000

const stored = {
  get: (key: string): string | null => sessionStorage.getItem(key),
  set: (key: string, value: string | null): void => {
    if (value === null) sessionStorage.removeItem(key)
    else sessionStorage.setItem(key, value)
  },
}

const statusOf = (rows: readonly SeatRow[] | null, seat: string) => {
  for (const row of rows ?? []) for (const s of row.seats) if (s.seatNumber === seat) return s.status
  return undefined
}

const terminal = (b: Booking | null) => b !== null && (b.status === "booked" || b.status === "failed" || b.status === "cancelled")

export function Show(props: { id: string }) {
  const id = props.id
  const selectionKey = `bat.selection.${id}`
  const bookingKey = `bat.booking.${id}`

  const [screening, setScreening] = useState<Screening | null>(null)
  const [screeningMissing, setScreeningMissing] = useState(false)
  const feed = useMemo(() => followSeats(id), [id])
  useEffect(() => () => feed.stop(), [feed])
  const rows = feed.map.value

  const [selected, setSelectedState] = useState<string[]>(() => JSON.parse(stored.get(selectionKey) ?? "[]") as string[])
  const setSelected = (seats: string[]) => {
    setSelectedState(seats)
    stored.set(selectionKey, seats.length ? JSON.stringify(seats) : null)
  }
  // `?booking=<id>` (from My tickets) picks up a booking still to be paid, also in a new tab.
  const [bookingId, setBookingIdState] = useState<string | null>(() => location.value.query.get("booking") ?? stored.get(bookingKey))
  const setBookingId = (value: string | null) => {
    setBookingIdState(value)
    stored.set(bookingKey, value)
  }
  const [booking, setBooking] = useState<Booking | null>(null)
  const [booked, setBooked] = useState<Booking | null>(null)
  const [sending, setSending] = useState(false)
  const [paid, setPaid] = useState(false)
  const [now, setNow] = useState(Date.now())
  const requested = useRef<string[]>([])

  useEffect(() => {
    let live = true
    void get<Screening>(`/screenings/${encodeURIComponent(id)}`).then((r) => {
      if (!live) return
      if (r.ok) setScreening(r.body)
      else if (r.status === 404) setScreeningMissing(true)
      else say(sentence(r.problem))
    })
    return () => {
      live = false
    }
  }, [id])

  // A chosen seat someone else has just taken is let go, and the person is told.
  useEffect(() => {
    if (rows === null || selected.length === 0) return
    const gone = selected.filter((seat) => statusOf(rows, seat) !== "available")
    if (gone.length === 0) return
    setSelected(selected.filter((seat) => !gone.includes(seat)))
    say(seatsTaken(gone))
  }, [rows])

  // Follow the booking: re-read it on every notice about it, and every 2 s in case a notice is missed.
  useEffect(() => {
    if (bookingId === null) return
    let live = true
    const load = async () => {
      const r = await get<Booking>(`/tickets/bookings/${encodeURIComponent(bookingId)}`)
      if (!live) return
      if (r.ok) setBooking(r.body)
      else if (r.status === 401) {
        // Logged out: stop asking; the booking is followed again once the person is back.
        setBookingIdState(null)
        setBooking(null)
      } else if (r.status === 404 || r.status === 403) {
        setBookingId(null)
        setBooking(null)
      }
    }
    void load()
    const timer = setInterval(load, BOOKING_POLL_MS)
    const off = onNotification((n) => {
      if (n.bookingId === bookingId) void load()
    })
    return () => {
      live = false
      clearInterval(timer)
      off()
    }
  }, [bookingId])

  // Say what became of the booking, once per change.
  const spoken = `${booking?.bookingId}|${booking?.status}|${booking?.reason}`
  useEffect(() => {
    if (booking === null) return
    feed.refresh()
    const tz = booking.screening.timeZone
    switch (booking.status) {
      case "pending":
        say("Holding your seats…")
        break
      case "reserved":
        if (booking.expiresAt && !paid) say(`Held until ${localTime(booking.expiresAt, tz)}`)
        break
      case "booked":
        say("Booked")
        setBooked(booking)
        break
      case "failed": {
        const mine = booking.seatNumbers.length ? booking.seatNumbers : requested.current
        const taken = mine.filter((seat) => statusOf(rows, seat) !== "available")
        say(bookingEnded(booking.reason, taken.length ? taken : mine))
        break
      }
      case "cancelled":
        say(bookingEnded(booking.reason, booking.seatNumbers))
        break
    }
    if (terminal(booking)) {
      if (location.value.query.has("booking")) history.replaceState(null, "", `/show/${encodeURIComponent(id)}`)
      setBookingId(null)
      setBooking(null)
      setPaid(false)
    }
  }, [spoken])

  // The hold counts down each second while it runs.
  const expiresAt = booking?.status === "reserved" && booking.expiresAt ? Date.parse(booking.expiresAt) : null
  useEffect(() => {
    if (expiresAt === null) return
    const timer = setInterval(() => setNow(Date.now()), 1_000)
    setNow(Date.now())
    return () => clearInterval(timer)
  }, [expiresAt])
  // When the hold starts, keyboard and screen reader users continue from the hold and its payment form.
  useEffect(() => {
    if (expiresAt !== null) document.getElementById("hold")?.focus()
  }, [expiresAt !== null])
  const left = expiresAt === null ? null : expiresAt - now
  const holdOver = left !== null && left <= 0 && !paid
  useEffect(() => {
    if (holdOver) say(HOLD_EXPIRED)
  }, [holdOver])

  const toggle = (seat: string) => {
    if (selected.includes(seat)) return setSelected(selected.filter((s) => s !== seat))
    if (selected.length >= MAX_SEATS) return say(`You can book at most ${MAX_SEATS} seats at once.`)
    setSelected([...selected, seat])
  }

  const book = async () => {
    if (sending || selected.length === 0) return
    if (session.value === null) {
      say("Please log in or create an account to book your seats.")
      navigate(`/sign-in?next=${encodeURIComponent(`/show/${id}`)}`)
      return
    }
    const seats = [...selected]
    requested.current = seats
    setSending(true)
    setBooked(null)
    setSelected([])
    say(`Holding ${seats.length === 1 ? "your seat" : "your seats"}…`)
    const r = await post<{ bookingId: string }>("/tickets/book", { screeningId: id, seatNumbers: seats }, { "idempotency-key": idempotencyKey() })
    setSending(false)
    if (r.ok) {
      setBookingId(r.body.bookingId)
      return
    }
    // Nothing was booked: the choice stays (also across logging in again after a 401).
    setSelected(seats.filter((seat) => statusOf(feed.map.value, seat) === "available"))
    if (r.status !== 401) say(sentence(r.problem))
  }

  const pay = async (card: CardInput): Promise<Record<string, string>> => {
    if (booking === null) return {}
    say("Paying…")
    let r = await post<Payment>("/payments", { bookingId: booking.bookingId, card }, { "idempotency-key": idempotencyKey() })
    // Payments may not have heard of a hold made a moment ago; that answer takes no money, so ask again.
    for (let attempt = 0; attempt < 10 && !r.ok && r.problem.code === "reservation_not_found_yet"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      r = await post<Payment>("/payments", { bookingId: booking.bookingId, card }, { "idempotency-key": idempotencyKey() })
    }
    if (r.ok) {
      if (r.body.status === "succeeded") {
        setPaid(true)
        say("Payment received. Confirming your tickets…")
      } else if (r.body.reason === "insufficient_funds") say(INSUFFICIENT)
      else if (r.body.reason === "expired") say(HOLD_EXPIRED)
      else say(DECLINED)
      return {}
    }
    if (r.status === 422) {
      const fields = fieldSentences(r.problem)
      say(Object.keys(fields).length ? "Please check the card details." : sentence(r.problem))
      return fields
    }
    if (r.status !== 401) say(sentence(r.problem))
    return {}
  }

  if (screeningMissing) {
    return (
      <section>
        <h1>Screening not found</h1>
        <p>
          This screening does not exist or is no longer on sale. <Link href="/">See all screenings</Link>.
        </p>
      </section>
    )
  }

  const tz = screening?.cinema.timeZone ?? null
  const holding = bookingId !== null
  const price = screening ? screening.price : null

  return (
    <section aria-labelledby="show-heading">
      <h1 id="show-heading">{screening ? movieTitle(screening) : "Screening"}</h1>
      {screening ? (
        <p class="details">
          {localDay(screening.startsAt, tz)}, {localTime(screening.startsAt, tz)} {localZone(screening.startsAt, tz)} ·{" "}
          {cinemaName(screening)}, {hallName(screening)} · {money(screening.price.amount, screening.price.currency)} a seat
        </p>
      ) : null}
      {screening && screening.status === "cancelled" ? <p class="error">This screening was cancelled by the cinema.</p> : null}

      <h2>Choose your seats</h2>
      {feed.notFound.value ? <p class="error">The seats of this screening could not be found.</p> : null}
      {rows === null && !feed.notFound.value ? <p>Loading seats…</p> : null}
      {rows !== null ? <SeatMap rows={rows} selected={selected} onToggle={toggle} disabled={holding || sending} /> : null}
      <p class="feed-mode">{feed.mode.value === "live" ? "Seats update live." : feed.mode.value === "polling" ? "Seats refresh every 2 seconds." : ""}</p>

      {!holding ? (
        selected.length > 0 ? (
          <div class="actions">
            <p>
              Your choice: {selected.join(", ")}
              {price ? ` · ${money(price.amount * selected.length, price.currency)}` : ""}
            </p>
            <button type="button" class="primary" onClick={book} disabled={sending}>
              Book {plural(selected.length, "seat", "seats")}
            </button>
          </div>
        ) : (
          <p class="hint">Choose seats on the map, then book them. Once they are held for you, pay before the hold ends.</p>
        )
      ) : null}

      {booking?.status === "reserved" ? (
        <div class="hold" id="hold" tabIndex={-1}>
          <p>
            Seats {booking.seatNumbers.join(", ")} are held for you
            {booking.expiresAt ? ` until ${localTime(booking.expiresAt, booking.screening.timeZone)} ${localZone(booking.expiresAt, booking.screening.timeZone)}` : ""}.
          </p>
          {left !== null ? (
            <p class="countdown" role="timer" aria-label="Time left to pay">
              {holdOver ? "Time is up" : `${minutesSeconds(left)} left to pay`}
            </p>
          ) : null}
          <PaymentForm onPay={pay} onInvalid={() => say("Please check the card details.")} disabled={holdOver || paid} amount={money(booking.amount, booking.currency)} />
        </div>
      ) : null}

      {booked !== null && !holding ? (
        <div class="done">
          <p>
            Your booking is confirmed: {plural(booked.seatNumbers.length, "seat", "seats")} ({booked.seatNumbers.join(", ")}). Your tickets
            with their QR codes are in <Link href="/my-tickets">your tickets</Link>.
          </p>
        </div>
      ) : null}
    </section>
  )
}

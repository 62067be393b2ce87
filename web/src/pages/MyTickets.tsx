// The signed-in customer's bookings: what, where and when, each ticket's QR code, and cancelling within the rules.
import { useEffect, useState } from "preact/hooks"
import { authHeaders, get, post, sessionEnded } from "../api.ts"
import { Link } from "../components/Link.tsx"
import { localDay, localTime, localZone, money, seatList } from "../format.ts"
import { onNotification } from "../notifications.ts"
import { bookingEnded, sentence } from "../sentences.ts"
import { session } from "../session.ts"
import { say } from "../status.ts"
import type { Booking, Page } from "../views.ts"

/** A ticket's QR code, fetched with the token (an <img> cannot send it) and shown from a blob URL. */
function TicketQr(props: { bookingId: string; ticketId: string; seat: string }) {
  const [src, setSrc] = useState<string | null>(null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    let url: string | null = null
    let live = true
    void fetch(`/tickets/bookings/${encodeURIComponent(props.bookingId)}/tickets/${encodeURIComponent(props.ticketId)}/qr.svg`, {
      headers: { accept: "image/svg+xml", ...authHeaders() },
    })
      .then(async (res) => {
        if (!res.ok) throw new Error(String(res.status))
        const blob = await res.blob()
        if (!live) return
        url = URL.createObjectURL(new Blob([blob], { type: "image/svg+xml" }))
        setSrc(url)
      })
      .catch(() => live && setFailed(true))
    return () => {
      live = false
      if (url) URL.revokeObjectURL(url)
    }
  }, [props.bookingId, props.ticketId])
  if (failed) return <p class="hint">The QR code of seat {props.seat} could not be loaded. Please reload the page.</p>
  return src ? <img class="qr" src={src} alt={`Ticket ${props.seat} QR code`} width={160} height={160} /> : <p class="hint">Loading QR code…</p>
}

const stateLine = (b: Booking): string => {
  const tz = b.screening.timeZone
  switch (b.status) {
    case "pending":
      return "Being processed"
    case "reserved":
      return b.expiresAt ? `Held until ${localTime(b.expiresAt, tz)} ${localZone(b.expiresAt, tz)}, not paid yet` : "Held, not paid yet"
    case "booked":
      return "Booked"
    case "failed":
      return `Not booked. ${bookingEnded(b.reason, b.seatNumbers)}`
    case "cancelled":
      return `Cancelled. ${bookingEnded(b.reason, b.seatNumbers)}`
  }
}

function BookingCard(props: { booking: Booking; onChanged: (b: Booking) => void }) {
  const b = props.booking
  const tz = b.screening.timeZone
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const headingId = `booking-${b.bookingId}`
  const title = b.screening.movieTitle ?? "Your screening"
  const when = b.screening.startsAt
    ? `${localDay(b.screening.startsAt, tz)}, ${localTime(b.screening.startsAt, tz)} ${localZone(b.screening.startsAt, tz)}`
    : ""
  const where = [b.screening.cinemaName, b.screening.hallName].filter(Boolean).join(", ")
  const cancellable = b.cancellableUntil !== undefined && Date.parse(b.cancellableUntil) > Date.now()

  const cancel = async () => {
    setBusy(true)
    const r = await post<Booking>(`/tickets/bookings/${encodeURIComponent(b.bookingId)}/cancel`)
    setBusy(false)
    setConfirming(false)
    if (r.ok) {
      const paid = b.status === "booked" ? ` ${money(b.amount, b.currency)} will be refunded to your card.` : ""
      say(`Cancelled. Seats ${seatList(b.seatNumbers)} are free again.${paid}`)
      props.onChanged(r.body)
    } else if (r.status !== 401) say(sentence(r.problem))
  }

  return (
    <article class={`booking ${b.status}`} aria-labelledby={headingId}>
      <h2 id={headingId}>
        {title}
        {when ? `, ${when}` : ""}
      </h2>
      {where ? <p>{where}</p> : null}
      <p>
        {b.seatNumbers.length === 1 ? "Seat" : "Seats"} {seatList(b.seatNumbers)}
        {b.amount !== null ? ` · ${money(b.amount, b.currency)}` : ""}
      </p>
      <p class="state">{stateLine(b)}</p>
      {b.status === "booked" ? (
        <ul class="tickets">
          {b.tickets.map((t) => (
            <li key={t.ticketId}>
              <TicketQr bookingId={b.bookingId} ticketId={t.ticketId} seat={t.seatNumber} />
              <span>
                Seat {t.seatNumber}
                {t.admittedAt ? ` · admitted at ${localTime(t.admittedAt, tz)}` : ""}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {b.status === "reserved" ? (
        <p>
          <Link href={`/show/${b.screeningId}?booking=${b.bookingId}`}>Pay for these seats</Link>
        </p>
      ) : null}
      {cancellable ? (
        confirming ? (
          <div class="confirm" role="group" aria-label="Confirm cancelling">
            <p>
              Cancel this booking? Seats {seatList(b.seatNumbers)} will be released
              {b.status === "booked" && b.amount !== null ? ` and ${money(b.amount, b.currency)} refunded` : ""}.
            </p>
            <button type="button" class="danger" onClick={cancel} disabled={busy}>
              Yes, cancel booking
            </button>{" "}
            <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
              Keep booking
            </button>
          </div>
        ) : (
          <p>
            <button type="button" onClick={() => setConfirming(true)}>
              Cancel booking
            </button>{" "}
            <span class="hint">
              Possible until {b.cancellableUntil ? `${localDay(b.cancellableUntil, tz)}, ${localTime(b.cancellableUntil, tz)} ${localZone(b.cancellableUntil, tz)}` : ""}
            </span>
          </p>
        )
      ) : null}
    </article>
  )
}

export function MyTickets() {
  const [bookings, setBookings] = useState<Booking[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const signedIn = session.value !== null

  useEffect(() => {
    if (!signedIn) {
      sessionEnded("unauthorized")
      return
    }
    let live = true
    const load = async () => {
      const r = await get<Page<Booking>>("/tickets?limit=50")
      if (!live) return
      if (r.ok) setBookings([...r.body.items])
      else if (r.status !== 401) setError(sentence(r.problem))
    }
    void load()
    // A booking still being decided or paid changes while this page is open.
    const off = onNotification(() => void load())
    return () => {
      live = false
      off()
    }
  }, [signedIn])

  const replace = (changed: Booking) =>
    setBookings((list) => (list ?? []).map((b) => (b.bookingId === changed.bookingId ? changed : b)))

  return (
    <section aria-labelledby="tickets-heading">
      <h1 id="tickets-heading">My tickets</h1>
      {error ? <p class="error">{error}</p> : null}
      {bookings === null && !error ? <p>Loading your tickets…</p> : null}
      {bookings !== null && bookings.length === 0 ? (
        <p>
          You have no bookings yet. <Link href="/">Find a screening</Link>.
        </p>
      ) : null}
      {(bookings ?? []).map((b) => (
        <BookingCard key={b.bookingId} booking={b} onChanged={replace} />
      ))}
    </section>
  )
}

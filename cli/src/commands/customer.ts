// Customer commands for trying the system from a terminal: book (optionally waiting for the outcome), pay, tickets.
import type { Command } from "commander"
import { amountOf, describeReason, localTime, minutesLeft, movieOf, screeningLine, seatsOf } from "../bookingText.ts"
import { withContext, type CommandContext } from "../context.ts"
import { CliError, ExitCode } from "../errors.ts"
import { formatMoney, parseCardExpiry, parseCardNumber, parseCvc, parseId, parsePositiveInt, parseSeatList } from "../parse.ts"
import { readEvents } from "../sse.ts"
import type { BookAccepted, Booking, BookingPage, Notification, PayResponse } from "../shapes.ts"
import { startSpinner } from "../spinner.ts"
import { pageQuery, withPaging, type PageOptions } from "./listing.ts"
import { readBooking, registerTicketsShow, showBooking } from "./tickets.ts"

const isDecided = (b: Booking): boolean => b.status !== "pending"

/** Prints a decided booking; a failure becomes exit code 1 after its explanation is shown. */
const reportOutcome = (ctx: CommandContext, booking: Booking, notification: Notification | undefined): void => {
  ctx.out.data({ booking, ...(notification ? { notification } : {}) })
  const seats = seatsOf(booking).join(", ")
  const c = ctx.out.c
  switch (booking.status) {
    case "reserved":
      ctx.out.line(`${c.green("✔")} reserved ${seats} for ${screeningLine(booking)}`)
      ctx.out.line(`  ${amountOf(booking)}, held until ${localTime(booking, booking.expiresAt)}${booking.expiresAt ? minutesLeft(booking.expiresAt) : ""}`)
      ctx.out.line(c.dim(`  pay with: bookaticket pay ${booking.bookingId} --card 4242424242424242`))
      return
    case "booked":
      ctx.out.line(`${c.green("✔")} booked ${seats} for ${screeningLine(booking)} — ${amountOf(booking)}`)
      return
    default: {
      if (notification?.message) ctx.out.line(notification.message)
      throw new CliError(
        `booking ${booking.status}: ${describeReason(booking.reason)}${seats ? ` (seats ${seats})` : ""}`,
        ExitCode.apiFailure,
        booking.reason ?? `booking_${booking.status}`,
      )
    }
  }
}

/** Opens the caller's notification stream; undefined (after a warning) when the notifications service is down. */
const openStream = async (ctx: CommandContext, signal: AbortSignal): Promise<Response | undefined> => {
  try {
    return await ctx.api.send("GET", "/notifications/stream", { headers: { accept: "text/event-stream" }, signal })
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.auth) throw error
    if (error instanceof CliError && error.exitCode === ExitCode.unreachable && error.code === "unreachable") throw error
    ctx.out.warn(`cannot follow notifications (${error instanceof Error ? error.message : String(error)}); polling the booking instead`)
    return undefined
  }
}

/** Waits for the notification about `bookingId` and returns it with the booking as it then stands. */
const awaitOutcome = async (
  ctx: CommandContext,
  bookingId: string,
  stream: Response | undefined,
  signal: AbortSignal,
): Promise<{ booking: Booking; notification?: Notification } | undefined> => {
  if (stream?.body) {
    try {
      for await (const event of readEvents(stream.body)) {
        let notification: Notification
        try {
          notification = JSON.parse(event.data) as Notification
        } catch {
          continue
        }
        if (notification.bookingId !== bookingId) continue
        const booking = await readBooking(ctx, bookingId)
        if (isDecided(booking)) return { booking, notification }
      }
    } catch (error) {
      if (signal.aborted) return undefined
      ctx.out.warn(`the notification stream broke (${error instanceof Error ? error.message : String(error)}); polling the booking instead`)
    }
    if (signal.aborted) return undefined
  }
  // No stream (or it ended): poll the booking, which is the truth anyway.
  while (!signal.aborted) {
    const booking = await readBooking(ctx, bookingId)
    if (isDecided(booking)) return { booking }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 500)
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true })
    })
  }
  return undefined
}

interface BookOptions {
  readonly seats: string
  readonly wait?: boolean
  readonly timeout: string
  readonly idempotencyKey?: string
}

export const registerCustomerCommands = (program: Command): void => {
  program
    .command("book")
    .argument("<screeningId>")
    .description("book seats for a screening (customer); with --wait, print whether they were reserved")
    .requiredOption("--seats <seats>", "1-10 seats: A1,A2 or a range in one row such as A3-A6")
    .option("--wait", "follow your notifications and print the outcome (reserved until when, or why not)")
    .option("--timeout <seconds>", "how long --wait waits", "60")
    .option("--idempotency-key <key>", "repeat a booking request safely (default: a new key)")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket book <screeningId> --seats A1,A2 --wait
  $ bookaticket book <screeningId> --seats C4-C7 --wait --timeout 120
  $ bookaticket book <screeningId> --seats A1 --json     # prints {bookingId, status: "pending"}

With --wait the exit code is 0 when the seats are reserved, 1 when the booking failed, 5 on timeout.`,
    )
    .action(
      withContext(async (ctx, id: string, opts: BookOptions) => {
        const screeningId = parseId(id, "screeningId")
        const seatNumbers = parseSeatList(opts.seats)
        const timeoutSeconds = parsePositiveInt(opts.timeout, "--timeout", 3600)
        const key = opts.idempotencyKey ?? crypto.randomUUID()
        const book = () =>
          ctx.api.request<BookAccepted>("POST", "/tickets/book", {
            body: { screeningId, seatNumbers },
            headers: { "idempotency-key": key },
          })

        if (!opts.wait) {
          const accepted = await book()
          ctx.out.data(accepted)
          ctx.out.success(`booking ${accepted.bookingId} accepted (${seatNumbers.join(", ")}); the outcome follows shortly`)
          ctx.out.note(ctx.out.c.dim(`  see it with: bookaticket tickets ${accepted.bookingId}`))
          return
        }

        // The stream is opened before booking, so the notification cannot slip past unseen.
        const controller = new AbortController()
        const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000)
        const spinner = startSpinner("booking…", ctx.out.stderrIsTTY && !ctx.out.json)
        // Ctrl-C while waiting: leave a clean line, and the booking stands (it is only the wait that ends).
        const onInterrupt = () => {
          spinner.stop()
          process.stderr.write("interrupted; the booking continues — see `bookaticket tickets`\n")
          process.exit(ExitCode.interrupted)
        }
        process.once("SIGINT", onInterrupt)
        try {
          const stream = await openStream(ctx, controller.signal)
          const accepted = await book()
          spinner.update(`waiting for the outcome of booking ${accepted.bookingId}…`)
          const outcome = await awaitOutcome(ctx, accepted.bookingId, stream, controller.signal)
          spinner.stop()
          // Timed out: read the booking once more, so a missed notification still gives the answer.
          const final = outcome ?? { booking: await readBooking(ctx, accepted.bookingId) }
          if (!isDecided(final.booking)) {
            ctx.out.data({ booking: final.booking })
            throw new CliError(
              `no outcome within ${timeoutSeconds} s; booking ${accepted.bookingId} is still pending — check later with \`bookaticket tickets ${accepted.bookingId}\``,
              ExitCode.timeout,
              "timeout",
            )
          }
          reportOutcome(ctx, final.booking, final.notification)
        } finally {
          process.off("SIGINT", onInterrupt)
          spinner.stop()
          clearTimeout(timer)
          controller.abort()
        }
      }),
    )

  program
    .command("pay")
    .argument("<bookingId>")
    .description("pay for a reserved booking with a card (customer; the amount comes from the reservation)")
    .requiredOption("--card <number>", "card number; test cards: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000009995 has insufficient funds")
    .option("--exp <MM/YY>", "card expiry (default: December, three years ahead)")
    .option("--cvc <cvc>", "card security code", "123")
    .option("--idempotency-key <key>", "repeat a payment request safely (default: a new key)")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket pay <bookingId> --card 4242424242424242
  $ bookaticket pay <bookingId> --card "4242 4242 4242 4242" --exp 12/30 --cvc 123

Exit code 0 when the payment succeeded, 1 when it was declined or the reservation cannot be paid.`,
    )
    .action(
      withContext(async (ctx, id: string, opts: { card: string; exp?: string; cvc: string; idempotencyKey?: string }) => {
        const bookingId = parseId(id, "bookingId")
        const number = parseCardNumber(opts.card)
        const expiry = opts.exp === undefined ? { expMonth: 12, expYear: new Date().getUTCFullYear() + 3 } : parseCardExpiry(opts.exp)
        const cvc = parseCvc(opts.cvc)
        const payment = await ctx.api.request<PayResponse>("POST", "/payments", {
          body: { bookingId, card: { number, ...expiry, cvc } },
          headers: { "idempotency-key": opts.idempotencyKey ?? crypto.randomUUID() },
        })
        ctx.out.data(payment)
        if (payment.status !== "succeeded") {
          throw new CliError(
            `payment ${payment.status}: ${describeReason(payment.reason ? `payment_${payment.reason}` : undefined)}`,
            ExitCode.apiFailure,
            `payment_${payment.reason ?? payment.status}`,
          )
        }
        ctx.out.success(`paid ${formatMoney(payment.amount, payment.currency)} (payment ${payment.paymentId})`)
        ctx.out.note(ctx.out.c.dim(`  your tickets are being confirmed: bookaticket tickets ${bookingId}`))
      }),
    )

  const tickets = withPaging(
    program
      .command("tickets")
      .argument("[bookingId]", "show one booking in detail")
      .description("your bookings and their tickets (customer)"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  $ bookaticket tickets\n  $ bookaticket tickets show <bookingId>     # with each ticket's QR code\n  $ bookaticket tickets --json",
    )
    .action(
      withContext(async (ctx, id: string | undefined, opts: PageOptions) => {
        if (id !== undefined) {
          await showBooking(ctx, await readBooking(ctx, parseId(id, "bookingId")))
          return
        }
        const page = await ctx.api.request<BookingPage>("GET", "/tickets", { query: pageQuery(opts) })
        ctx.out.data(page)
        // Names and local times for people (DESIGN §8, §9); --json keeps every id.
        ctx.out.table(
          ["booking", "status", "movie", "cinema", "hall", "starts", "seats", "amount", "note"],
          page.items.map((b) => [
            b.bookingId,
            b.status,
            movieOf(b),
            b.screening.cinemaName ?? "",
            b.screening.hallName ?? "",
            localTime(b, b.screening.startsAt),
            seatsOf(b).join(", "),
            amountOf(b),
            b.status === "reserved" && b.expiresAt ? `pay before ${localTime(b, b.expiresAt)}` : b.reason ? describeReason(b.reason) : "",
          ]),
        )
        ctx.out.more(page.nextCursor, "bookaticket tickets")
      }),
    )
  registerTicketsShow(tickets)
}

// cancel <bookingId>: a customer (or staff) cancels a booking; a paid one is refunded (DESIGN §10).
import type { Command } from "commander"
import { amountOf, describeReason, localTime, screeningLine, seatsOf } from "../bookingText.ts"
import { withContext } from "../context.ts"
import { CliError, ExitCode } from "../errors.ts"
import { parseId } from "../parse.ts"
import { confirmOrRefuse } from "../prompt.ts"
import type { Booking } from "../shapes.ts"
import { readBooking } from "./tickets.ts"

/** The API's refusals to cancel, as sentences about this booking. */
export const cancelRefusal = (code: string, b: Booking): string | undefined => {
  switch (code) {
    case "cancellation_closed":
      return b.cancellableUntil
        ? `it is too late to cancel: this booking could be cancelled until ${localTime(b, b.cancellableUntil)}`
        : "it is too late to cancel: the screening starts soon"
    case "already_admitted":
      return "a ticket of this booking has already been admitted at the door, so it can no longer be cancelled"
    case "booking_pending":
      return "the booking is still being decided; try again in a moment"
    case "booking_not_cancellable":
      return b.status === "failed"
        ? `there is nothing to cancel: the booking did not go through (${describeReason(b.reason)})`
        : b.status === "cancelled"
          ? `there is nothing to cancel: the booking is already cancelled (${describeReason(b.reason)})`
          : "there is nothing to cancel: the booking has already ended"
    default:
      return undefined
  }
}

const seatPhrase = (b: Booking): string => {
  const seats = seatsOf(b)
  return seats.length === 1 ? `seat ${seats[0]}` : `seats ${seats.join(", ")}`
}

export const registerCancelCommand = (program: Command): void => {
  program
    .command("cancel")
    .argument("<bookingId>")
    .description("cancel a booking (its owner or staff): held seats are released, a paid booking is refunded")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket cancel <bookingId>           # asks first
  $ bookaticket cancel <bookingId> --yes --json

A booked (paid) booking can be cancelled until shortly before the screening starts (its \`cancel until\`
in \`bookaticket tickets show\`); the refund follows by itself. Exit code 1 when it cannot be cancelled.`,
    )
    .action(
      withContext(async (ctx, id: string) => {
        const bookingId = parseId(id, "bookingId")
        const before = await readBooking(ctx, bookingId)
        // The states that can never be cancelled are said before asking; the API stays the judge of the rest.
        if (before.status === "pending" || before.status === "failed" || before.status === "cancelled") {
          const code = before.status === "pending" ? "booking_pending" : "booking_not_cancellable"
          throw new CliError(cancelRefusal(code, before)!, ExitCode.apiFailure, code)
        }
        const paid = before.status === "booked"
        const refund = paid && amountOf(before) ? `a refund of ${amountOf(before)} follows` : paid ? "a refund follows" : "nothing was charged"
        await confirmOrRefuse(
          `cancel the booking of ${seatPhrase(before)} for ${screeningLine(before)}${paid ? ` (${refund})` : ""}`,
          ctx.yes,
        )
        let after: Booking
        try {
          after = await ctx.api.request<Booking>("POST", `/tickets/bookings/${bookingId}/cancel`)
        } catch (error) {
          const sentence = error instanceof CliError ? cancelRefusal(error.code, before) : undefined
          if (error instanceof CliError && sentence) throw new CliError(sentence, error.exitCode, error.code, error.status)
          throw error
        }
        ctx.out.data(after)
        ctx.out.success(`Cancelled ${seatPhrase(after)} for ${screeningLine(after)}; ${refund}`)
      }),
    )
}

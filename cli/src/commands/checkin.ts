// checkin <code>|- --screening <id>: admit tickets at the door (staff), one code or one per line from stdin.
import type { Command } from "commander"
import { createHash } from "node:crypto"
import { createInterface } from "node:readline"
import { Booking as BookingEvents } from "@bat/contracts"
import { describeReason, doorTime, screeningShort } from "../bookingText.ts"
import { withContext, type CommandContext } from "../context.ts"
import { CliError, ExitCode, usageError } from "../errors.ts"
import { parseId } from "../parse.ts"
import type { Admission, Booking } from "../shapes.ts"

/** What one scan came to: admitted, or refused with a sentence a door attendant reads. */
export type ScanResult =
  | { readonly index: number; readonly status: "admitted"; readonly message: string; readonly admission: Admission }
  | {
      readonly index: number
      readonly status: "refused"
      /**
       * The API's problem code (`already_admitted`, `ticket_not_valid`, `wrong_screening`, `checkin_too_early`,
       * `checkin_too_late`, `invalid_ticket_code`).
       */
      readonly code: string
      readonly message: string
      readonly seatNumber?: string
      readonly admittedAt?: string
    }

/** What a code says about itself (unverified: only to word a refusal; the API verifies the signature). */
interface Claims {
  readonly bookingId?: string
  readonly seatNumber?: string
}
const claimsOf = (code: string): Claims => {
  try {
    const payload = JSON.parse(Buffer.from(code.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>
    return {
      ...(typeof payload.bookingId === "string" ? { bookingId: payload.bookingId } : {}),
      ...(typeof payload.seatNumber === "string" ? { seatNumber: payload.seatNumber } : {}),
    }
  } catch {
    return {}
  }
}

const MAX_CODE = 2048
const isCodeShaped = (code: string) => code.length <= MAX_CODE && BookingEvents.TICKET_CODE.test(code)

/**
 * The Idempotency-Key of one scan: a hash of the run's scanner id, the scan's position and the code. A
 * network retry of the same scan repeats its key (the API answers it as before, never admitting twice);
 * the same code scanned again later in the run is a new scan, and is told it was already admitted.
 */
export const scanKey = (scannerId: string, index: number, code: string): string =>
  `checkin-${createHash("sha256").update(`${scannerId}\n${index}\n${code}`).digest("hex").slice(0, 40)}`

const RETRY_DELAYS_MS = [300, 1_000]

interface ProblemFields {
  readonly admittedAt?: string
  readonly opensAt?: string
  readonly endedAt?: string
}

/** Admits tickets, remembering the bookings it looked up to word refusals. */
class Door {
  private readonly bookings = new Map<string, Promise<Booking | undefined>>()
  private readonly scannerId = crypto.randomUUID()

  constructor(
    private readonly ctx: CommandContext,
    private readonly screeningId: string,
  ) {}

  /** The booking a code names, as staff may read it; undefined when it cannot be read (the refusal is then shorter). */
  private booking(bookingId: string | undefined): Promise<Booking | undefined> {
    if (!bookingId || !/^[0-9a-f-]{36}$/i.test(bookingId)) return Promise.resolve(undefined)
    let found = this.bookings.get(bookingId)
    if (!found) {
      found = this.ctx.api.request<Booking>("GET", `/tickets/bookings/${bookingId}`).catch(() => undefined)
      this.bookings.set(bookingId, found)
    }
    return found
  }

  /** Sends one scan, retrying a network failure (or a front door without its service) with the same key. */
  private async post(code: string, key: string): Promise<Admission> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.api.request<Admission>("POST", "/tickets/checkin", {
          body: { code, screeningId: this.screeningId },
          headers: { "idempotency-key": key },
        })
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt]
        if (!(error instanceof CliError) || error.exitCode !== ExitCode.unreachable || delay === undefined) throw error
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  }

  async scan(index: number, code: string): Promise<ScanResult> {
    const claims = claimsOf(code)
    const seat = claims.seatNumber ? ` — seat ${claims.seatNumber}` : ""
    const refused = (problem: string, message: string, extra: { admittedAt?: string } = {}): ScanResult => ({
      index,
      status: "refused",
      code: problem,
      message,
      ...(claims.seatNumber ? { seatNumber: claims.seatNumber } : {}),
      ...extra,
    })
    if (!isCodeShaped(code)) return refused("invalid_ticket_code", "Not a valid ticket code")
    let admission: Admission
    try {
      admission = await this.post(code, scanKey(this.scannerId, index, code))
    } catch (error) {
      // Not logged in, not staff, the API gone: no scan can succeed, so the run stops here.
      if (!(error instanceof CliError) || error.status === undefined || error.status === 401 || error.status === 403) throw error
      if (error.status >= 500) throw error
      const fields = (error.problem ?? {}) as ProblemFields
      switch (error.code) {
        case "already_admitted": {
          const booking = await this.booking(claims.bookingId)
          const at = fields.admittedAt ? ` at ${doorTime(fields.admittedAt, booking?.screening.timeZone ?? null)}` : ""
          return refused(error.code, `Already admitted${at}${seat}`, fields.admittedAt ? { admittedAt: fields.admittedAt } : {})
        }
        case "ticket_not_valid": {
          const booking = await this.booking(claims.bookingId)
          return refused(error.code, `Not valid${booking ? `: ${bookingState(booking)}` : ""}${seat}`)
        }
        case "wrong_screening": {
          const booking = await this.booking(claims.bookingId)
          return refused(error.code, `Wrong screening${booking ? `: this ticket is for ${screeningShort(booking.screening)}` : ""}${seat}`)
        }
        case "checkin_too_early": {
          const booking = await this.booking(claims.bookingId)
          const at = fields.opensAt ? `: the door opens ${doorTime(fields.opensAt, booking?.screening.timeZone ?? null)}` : ""
          return refused(error.code, `Too early${at}${seat}`)
        }
        case "checkin_too_late": {
          const booking = await this.booking(claims.bookingId)
          const at = fields.endedAt ? `: the screening ended ${doorTime(fields.endedAt, booking?.screening.timeZone ?? null)}` : ""
          return refused(error.code, `Too late${at}${seat}`)
        }
        case "invalid_ticket_code":
        case "invalid_input":
          return refused("invalid_ticket_code", "Not a valid ticket code")
        default:
          return refused(error.code, `Refused: ${error.message}${seat}`)
      }
    }
    return {
      index,
      status: "admitted",
      message: `Admitted: seat ${admission.seatNumber}, ${screeningShort(admission.screening)}`,
      admission,
    }
  }
}

/** Why a ticket is not valid, from its booking's state: `booking cancelled`, `booking not paid`, … */
const bookingState = (b: Booking): string => {
  switch (b.status) {
    case "cancelled":
      return `booking cancelled${b.reason && b.reason !== "customer_cancelled" ? ` (${describeReason(b.reason)})` : ""}`
    case "failed":
      return `booking failed (${describeReason(b.reason)})`
    case "reserved":
      return "booking not paid"
    case "pending":
      return "booking not confirmed yet"
    default:
      return `booking ${b.status}`
  }
}

/** The codes to scan: the one given, or every non-blank line of stdin as it arrives (a scanner types them). */
async function* codesFrom(arg: string): AsyncGenerator<string> {
  if (arg !== "-") {
    yield arg.trim()
    return
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    const code = line.trim()
    if (code !== "") yield code
  }
}

export const registerCheckinCommand = (program: Command): void => {
  program
    .command("checkin")
    .argument("<code>", "a ticket's code (as its QR code holds it), or - to read codes one per line from stdin")
    .description("admit tickets at the door (staff): each code is admitted once, and a refusal says why")
    .option(
      "--screening <screeningId>",
      "(required) the screening this door admits to: a ticket for another one, or outside its check-in window, is refused",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket checkin eyJhbGciOi... --screening <screeningId>           # one ticket
  $ bookaticket checkin - --screening <screeningId> < scans.txt
  $ scanner-tool | bookaticket checkin - --screening <screeningId> --json

The door names its screening: tickets are admitted from CHECKIN_OPENS_MINUTES (60) before its start until it
ends. Prints one line per code: "Admitted: seat A1, Dune, Sat 5 Dec 19:30, Hall 1", or why not ("Already
admitted at 19:02", "Not valid: booking cancelled", "Wrong screening", "Too early: the door opens 18:30",
"Too late: the screening ended 21:40", "Not a valid ticket code"). With -, blank lines
are skipped and each line is numbered. Each scan carries its own Idempotency-Key, so a scan retried after a
network failure is never admitted twice. Exit code 1 when any code was refused; 3 when not logged in as staff.`,
    )
    .action(
      withContext(async (ctx, arg: string, opts: { screening?: string }) => {
        if (opts.screening === undefined) {
          throw usageError("name the screening this door admits to: --screening <screeningId> (see bookaticket screenings list)")
        }
        const screeningId = parseId(opts.screening, "--screening")
        const batch = arg === "-"
        if (!batch && arg.trim() === "") throw usageError("give a ticket code, or - to read codes from stdin")
        const door = new Door(ctx, screeningId)
        const results: ScanResult[] = []
        let index = 0
        for await (const code of codesFrom(arg)) {
          const result = await door.scan(++index, code)
          results.push(result)
          const text = result.status === "admitted" ? ctx.out.c.green(result.message) : ctx.out.c.red(result.message)
          ctx.out.line(batch ? `${String(result.index).padStart(3)}  ${text}` : text)
        }
        const refused = results.filter((r) => r.status === "refused").length
        if (batch) {
          ctx.out.data({ items: results, admitted: results.length - refused, refused })
          ctx.out.note(`${results.length} scanned: ${results.length - refused} admitted, ${refused} refused`)
        } else if (results[0]) {
          ctx.out.data(results[0])
        }
        if (refused > 0) {
          const first = results.find((r) => r.status === "refused")
          throw new CliError(
            batch ? `${refused} of ${results.length} refused` : (first?.message ?? "refused"),
            ExitCode.apiFailure,
            batch ? "refused" : first?.status === "refused" ? first.code : "refused",
            undefined,
            { reported: true },
          )
        }
      }),
    )
}

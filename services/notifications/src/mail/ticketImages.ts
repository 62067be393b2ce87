// The `booked` e-mail's inline QR images: one PNG per ticket code, referred to from the HTML part by Content-ID.
import QRCode from "qrcode"
import { ticketImageCid } from "../domain/emailBody.ts"
import type { TicketCode } from "../domain/outcome.ts"
import type { InlineImage } from "./Mailer.ts"

/**
 * Renders each ticket's code as a QR PNG (error correction M, 240 px, a 2-module margin: a ticket code of
 * about 400 characters stays readable from a phone screen). This is the only per-mail work beyond the
 * text; it runs when the e-mail is sent, never when the event is handled.
 */
export const ticketImages = (tickets: ReadonlyArray<TicketCode>): Promise<Array<InlineImage>> =>
  Promise.all(
    tickets.map(async (t) => ({
      cid: ticketImageCid(t.ticketId),
      filename: `ticket-${t.seatNumber}.png`,
      content: await QRCode.toBuffer(t.code, { errorCorrectionLevel: "M", margin: 2, width: 240 })
    }))
  )

// Outgoing e-mail, rendered by mime.ts: over SMTP (nodemailer's transport) when SMTP_URL is set, else as
// RFC 5322 .eml files under DATA_DIR/mail/YYYY/MM/DD/.
import { mkdirSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import nodemailer from "nodemailer"
import { parseMailbox, renderMime, type MailAddress } from "./mime.ts"

export interface OutgoingMail {
  /** The notification id: the file name and the Message-ID, so a re-send is recognisably the same e-mail. */
  readonly id: string
  readonly to: { readonly name: string | null; readonly address: string }
  readonly subject: string
  readonly text: string
  /** The same as `text`, as simple HTML: the e-mail is multipart/alternative. */
  readonly html: string
  /** Images the HTML part shows inline (`<img src="cid:…">`): the e-mail becomes multipart/related. */
  readonly inlineImages?: ReadonlyArray<InlineImage>
  readonly date: Date
}

/** A PNG shown inside the HTML part, referred to by its Content-ID. */
export interface InlineImage {
  readonly cid: string
  readonly filename: string
  readonly content: Buffer
}

export interface Mailer {
  readonly kind: "smtp" | "eml"
  readonly send: (mail: OutgoingMail) => Promise<void>
  readonly close: () => void
}

/** The Message-ID's domain: `<notificationId@notifications.bookaticket>`. */
const MESSAGE_ID_DOMAIN = "notifications.bookaticket"

/** The e-mail's bytes (see mime.ts): the same for the file and for SMTP, and the same again on a re-send. */
export const renderMail = (from: MailAddress, mail: OutgoingMail): Buffer =>
  renderMime({
    from,
    to: mail.to,
    subject: mail.subject,
    id: mail.id,
    messageIdDomain: MESSAGE_ID_DOMAIN,
    date: mail.date,
    text: mail.text,
    html: mail.html,
    inlineImages: (mail.inlineImages ?? []).map((i) => ({ ...i, contentType: "image/png" }))
  })

/**
 * True when the mail server refused the message for good: nodemailer sets `permanent` from the SMTP
 * reply (5xx except 503, RFC 5321 §4.2.1). Connection failures and 4xx replies are temporary.
 */
export const isPermanentMailFailure = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { permanent?: unknown }).permanent === true

/** Sends over SMTP through nodemailer's transport; the message itself is rendered here and handed over as is (`raw`). */
export const smtpMailer = (smtpUrl: string, from: string): Mailer => {
  const transport = nodemailer.createTransport(smtpUrl)
  const sender = parseMailbox(from)
  return {
    kind: "smtp",
    send: async (mail) => {
      await transport.sendMail({
        raw: renderMail(sender, mail),
        envelope: { from: sender.address, to: [mail.to.address] },
        messageId: `<${mail.id}@${MESSAGE_ID_DOMAIN}>`
      })
    },
    close: () => transport.close()
  }
}

/**
 * Where the e-mail file of notification `id` created at `date` goes: `<dir>/YYYY/MM/DD/<id>.eml` (UTC),
 * so no folder grows without bound and old mail can be archived or removed a day at a time.
 */
export const emlPathOf = (dir: string, id: string, date: Date): string => {
  const day = date.toISOString().slice(0, 10).split("-") // YYYY-MM-DD of a valid date
  return join(dir, day[0]!, day[1]!, day[2]!, `${id}.eml`)
}

/** Writes each e-mail as `<dir>/YYYY/MM/DD/<notificationId>.eml` (see emlPathOf); a re-send overwrites the same file. */
export const emlFileMailer = (dir: string, from: string): Mailer => {
  const sender = parseMailbox(from)
  const target = resolve(dir)
  mkdirSync(target, { recursive: true })
  /** The day folder made last: most e-mails of a run go to the same one. */
  let lastFolder: string | undefined
  return {
    kind: "eml",
    send: async (mail) => {
      const bytes = renderMail(sender, mail)
      const file = emlPathOf(target, mail.id, mail.date)
      const folder = dirname(file)
      if (folder !== lastFolder) {
        mkdirSync(folder, { recursive: true })
        lastFolder = folder
      }
      // Write then rename, so a reader never sees half a message.
      try {
        writeFileSync(`${file}.tmp`, bytes)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
        // The day folder was removed (e.g. archived) after it was made: make it again.
        mkdirSync(folder, { recursive: true })
        writeFileSync(`${file}.tmp`, bytes)
      }
      renameSync(`${file}.tmp`, file)
    },
    close: () => {}
  }
}

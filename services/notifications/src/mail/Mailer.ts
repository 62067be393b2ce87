// Outgoing e-mail through nodemailer: SMTP when SMTP_URL is set, else RFC 822 .eml files under DATA_DIR/mail/.
import { mkdirSync, renameSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import nodemailer from "nodemailer"

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

const messageOf = (from: string, mail: OutgoingMail) => ({
  from,
  to: mail.to.name ? { name: mail.to.name, address: mail.to.address } : mail.to.address,
  subject: mail.subject,
  text: mail.text,
  html: mail.html,
  date: mail.date,
  ...(mail.inlineImages && mail.inlineImages.length > 0
    ? {
        attachments: mail.inlineImages.map((i) => ({
          cid: i.cid,
          filename: i.filename,
          content: i.content,
          contentType: "image/png",
          contentDisposition: "inline" as const
        }))
      }
    : {}),
  messageId: `<${mail.id}@notifications.bookaticket>`
})

/**
 * True when the mail server refused the message for good: nodemailer sets `permanent` from the SMTP
 * reply (5xx except 503, RFC 5321 §4.2.1). Connection failures and 4xx replies are temporary.
 */
export const isPermanentMailFailure = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { permanent?: unknown }).permanent === true

export const smtpMailer = (smtpUrl: string, from: string): Mailer => {
  const transport = nodemailer.createTransport(smtpUrl)
  return {
    kind: "smtp",
    send: async (mail) => {
      await transport.sendMail(messageOf(from, mail))
    },
    close: () => transport.close()
  }
}

/** Writes each e-mail as `<dir>/<notificationId>.eml`; a re-send overwrites the same file. */
export const emlFileMailer = (dir: string, from: string): Mailer => {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" })
  const target = resolve(dir)
  mkdirSync(target, { recursive: true })
  return {
    kind: "eml",
    send: async (mail) => {
      const info = await transport.sendMail(messageOf(from, mail))
      const file = join(target, `${mail.id}.eml`)
      // Write then rename, so a reader never sees half a message.
      writeFileSync(`${file}.tmp`, info.message as Buffer)
      renameSync(`${file}.tmp`, file)
    },
    close: () => transport.close()
  }
}

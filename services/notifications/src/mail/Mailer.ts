// Outgoing e-mail through nodemailer: SMTP when SMTP_URL is set, else RFC 822 .eml files under DATA_DIR/mail/YYYY/MM/DD/.
import { mkdirSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
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
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" })
  const target = resolve(dir)
  mkdirSync(target, { recursive: true })
  /** The day folder made last: most e-mails of a run go to the same one. */
  let lastFolder: string | undefined
  return {
    kind: "eml",
    send: async (mail) => {
      const info = await transport.sendMail(messageOf(from, mail))
      const file = emlPathOf(target, mail.id, mail.date)
      const folder = dirname(file)
      if (folder !== lastFolder) {
        mkdirSync(folder, { recursive: true })
        lastFolder = folder
      }
      // Write then rename, so a reader never sees half a message.
      try {
        writeFileSync(`${file}.tmp`, info.message as Buffer)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
        // The day folder was removed (e.g. archived) after it was made: make it again.
        mkdirSync(folder, { recursive: true })
        writeFileSync(`${file}.tmp`, info.message as Buffer)
      }
      renameSync(`${file}.tmp`, file)
    },
    close: () => transport.close()
  }
}

// `bun scripts/bench/mailCost.ts [mails=3000] [dir]`: what one notification e-mail costs to compose with
// nodemailer (as services/notifications does) and to write as an .eml file, flat or in a folder per day.
// Prints CPU µs per mail (user + system of this process) and wall µs per mail for each step.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import nodemailer from "nodemailer"

const n = Number(process.argv[2] ?? 3_000)
const base = mkdtempSync(join(process.argv[3] ?? tmpdir(), "bat-mailcost-"))
const text =
  "Hello Bench Customer,\n\nYour seats are held until Sat 5 Dec, 19:45 CET: seat A12 for Bench Movie at Bench Cinema, " +
  "Bench hall, Sat 5 Dec 2026, 19:30 CET. Pay before then to keep them.\n\nMovie: Bench Movie\nCinema: Bench Cinema\n" +
  "Hall: Bench hall\nStarts: Sat 5 Dec 2026, 19:30 CET\nSeat: A12\nTo pay: EUR 9.00\nBooking reference: 0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\n"
const html = `<!doctype html><html><body><p>${text.replaceAll("\n", "<br>")}</p><table>${"<tr><th>Movie</th><td>Bench Movie</td></tr>".repeat(6)}</table></body></html>`
const message = (i: number) => ({
  from: "Book a Ticket <no-reply@bookaticket.local>",
  to: { name: "Bench Customer", address: `bench-${i}@bench.test` },
  subject: "Held: Bench Movie, Sat 5 Dec, 19:30 CET — seat A12",
  text,
  html,
  date: new Date(),
  messageId: `<${crypto.randomUUID()}@notifications.bookaticket>`
})

const measure = async (label: string, step: (i: number) => Promise<void> | void) => {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  for (let i = 0; i < n; i++) await step(i)
  const c = process.cpuUsage(c0)
  const wall = ((performance.now() - t0) * 1000) / n
  console.log(
    `${label.padEnd(44)} ${((c.user + c.system) / n).toFixed(0).padStart(6)} µs CPU/mail (sys ${(c.system / n).toFixed(0).padStart(4)})` +
      `  ${wall.toFixed(0).padStart(6)} µs wall/mail`
  )
}

const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" })
const bodies: Array<Buffer> = []
await measure("nodemailer compose (streamTransport, buffer)", async (i) => {
  bodies[i] = (await transport.sendMail(message(i))).message as Buffer
})
console.log(`(a composed e-mail is ${bodies[0]!.length} bytes)`)

// For comparison only: the same multipart/alternative message written directly (RFC 2047 words for
// non-ASCII headers, base64 bodies in 76-character lines, CRLF), to show what a plain renderer costs.
const word = (v: string) => (/^[\x20-\x7e]*$/.test(v) ? v : `=?UTF-8?B?${Buffer.from(v).toString("base64")}?=`)
const b64 = (v: string) => Buffer.from(v).toString("base64").replace(/.{76}(?=.)/g, "$&\r\n")
await measure("plain renderer (comparison, not in use)", (i) => {
  const m = message(i)
  const boundary = `--=_bat_${m.messageId.slice(1, 13)}`
  bodies[i] = Buffer.from(
    [
      `From: ${m.from}`,
      `To: ${word(m.to.name)} <${m.to.address}>`,
      `Subject: ${word(m.subject)}`,
      `Message-ID: ${m.messageId}`,
      `Date: ${m.date.toUTCString().replace("GMT", "+0000")}`,
      "MIME-Version: 1.0",
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      "",
      `--${boundary}`,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      b64(m.text),
      `--${boundary}`,
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      b64(m.html),
      `--${boundary}--`,
      ""
    ].join("\r\n")
  )
})
// Each layout twice, alternating, so a disk that is busy for a moment does not favour one of them.
for (const round of [1, 2]) {
  for (const layout of ["one flat folder", "folder per day"]) {
    const dir = layout === "one flat folder" ? join(base, `flat-${round}`) : join(base, `dated-${round}`, "2026", "11", "29")
    mkdirSync(dir, { recursive: true })
    await measure(`write .tmp + rename, ${layout}`, (i) => {
      const f = join(dir, `${crypto.randomUUID()}.eml`)
      writeFileSync(`${f}.tmp`, bodies[i]!)
      renameSync(`${f}.tmp`, f)
    })
  }
}
rmSync(base, { recursive: true, force: true })

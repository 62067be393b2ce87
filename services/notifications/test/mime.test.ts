// The e-mail renderer (mime.ts) against a real MIME parser (mailparser): for generated names, subjects,
// addresses, texts and HTML with non-ASCII, long lines, `=` and dots at line starts, and inline images, what
// the parser reads back is what went in; every line ends in CRLF and stays within the length limits.
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { simpleParser, type AddressObject } from "mailparser"
import { renderMail, type OutgoingMail } from "../src/mail/Mailer.ts"
import { parseMailbox, quotedPrintable } from "../src/mail/mime.ts"

const FROM = parseMailbox("Book a Ticket <no-reply@bookaticket.local>")

/** Characters a person might type or a title might hold, without control characters. */
const noControls = (s: string) => !/[\u0000-\u001f\u007f-\u009f]/.test(s)
const interesting = fc.constantFrom(
  "=", "==", "=?", "?=", "=?UTF-8?B?QQ==?=", ".", "..", " ", "  ", "\t", "—", "é", "ü", "ß", "Ω", "中文", "😀", "👩‍👩‍👧",
  "\"", "\\", "<", ">", "@", ",", ";", ":", "(", ")", "[", "]", "'", "&amp;", "From ", "-- ", "--=_bat_"
)
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 3, arbitrary: interesting }
)
/** A one-line string of up to ~150 characters (a name, a subject, a long line). */
const line = (maxPieces: number) => fc.array(piece, { maxLength: maxPieces }).map((p) => p.join("")).filter(noControls)
/** A printable single-line value with no leading, trailing or doubled whitespace (as names and subjects are stored). */
const singleLine = (maxPieces: number) => line(maxPieces).map((s) => s.replace(/\s+/g, " ").trim())
/** Several lines, some long, some opening with a dot or `=`, some with trailing spaces. */
const body = fc
  .array(fc.oneof(line(20), fc.constantFrom(".", "..", ".hidden", "=3D", "= ", "trailing  ", "", "x".repeat(200)), line(60)), {
    maxLength: 12
  })
  .map((lines) => lines.join("\n"))
  // An empty part reads back as one line end; every e-mail part says something.
  .filter((s) => s.trim().length > 0)

const localPart = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9._%+-]{0,20}$/).filter((s) => !s.includes("..") && !s.endsWith(".")),
  fc.constantFrom("jörg", "zoë.ü", "名前", "a")
)
const domain = fc.constantFrom("example.com", "bücher.de", "mail.example.org", "例え.jp")
const address = fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`)

const image = fc.record({
  seat: fc.stringMatching(/^[A-Z][0-9]{1,2}$/),
  content: fc.uint8Array({ minLength: 0, maxLength: 900 }).map((a) => Buffer.from(a))
})

const mailArb = fc.record({
  id: fc.uuid(),
  name: fc.option(singleLine(12).filter((s) => s.length > 0), { nil: null }),
  address,
  subject: singleLine(14).filter((s) => s.length > 0),
  text: body,
  html: body,
  images: fc.array(image, { maxLength: 3 }),
  date: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true })
})

/** Line ends as a reader sees them: LF. */
const lf = (s: string) => s.replace(/\r\n?/g, "\n")
const firstAddress = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0]

describe("the e-mail renderer, read back by mailparser", () => {
  test("subject, sender, recipient, text, HTML and inline images (Content-ID and bytes) come back as they went in", async () => {
    await fc.assert(
      fc.asyncProperty(mailArb, async (m) => {
        const mail: OutgoingMail = {
          id: m.id,
          to: { name: m.name, address: m.address },
          subject: m.subject,
          text: m.text,
          html: m.html,
          inlineImages: m.images.map((i, n) => ({ cid: `ticket-${n}-${m.id}@bookaticket`, filename: `ticket-${i.seat}.png`, content: i.content })),
          date: new Date(Math.floor(m.date.getTime() / 1000) * 1000)
        }
        const bytes = renderMail(FROM, mail)
        const raw = bytes.toString("utf8")

        // CRLF everywhere; header lines ≤ 78 characters and body lines ≤ 76 (addresses are written as they are).
        expect(raw.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/)
        const [head, ...rest] = raw.split("\r\n\r\n")
        for (const l of head!.split("\r\n")) if (!l.includes("@")) expect(l.length).toBeLessThanOrEqual(78)
        for (const l of rest.join("\r\n\r\n").split("\r\n")) expect(l.length).toBeLessThanOrEqual(76)
        // Nothing but the recipient's own address is outside 7-bit ASCII.
        expect(raw.replace(m.address, "")).toMatch(/^[\x00-\x7f]*$/)

        const parsed = await simpleParser(bytes, { skipImageLinks: true })
        expect(parsed.subject).toBe(m.subject)
        expect(parsed.messageId).toBe(`<${m.id}@notifications.bookaticket>`)
        expect(parsed.date?.getTime()).toBe(mail.date.getTime())
        expect(firstAddress(parsed.from)).toEqual({ name: "Book a Ticket", address: "no-reply@bookaticket.local" })
        expect(firstAddress(parsed.to)).toEqual({ name: m.name ?? "", address: m.address })
        expect(lf(parsed.text ?? "")).toBe(lf(m.text))
        expect(lf(typeof parsed.html === "string" ? parsed.html : "")).toBe(lf(m.html))
        expect(parsed.attachments.length).toBe(m.images.length)
        parsed.attachments.forEach((a, n) => {
          expect(a.cid).toBe(`ticket-${n}-${m.id}@bookaticket`)
          expect(a.contentType).toBe("image/png")
          expect(a.contentDisposition).toBe("inline")
          expect(a.filename).toBe(`ticket-${m.images[n]!.seat}.png`)
          expect(Buffer.compare(a.content, m.images[n]!.content)).toBe(0)
        })
      }),
      { numRuns: 300 }
    )
  }, 60_000)

  test("a re-send of the same notification is byte-for-byte the same e-mail", () => {
    const mail: OutgoingMail = {
      id: "0190f3a2-0000-7000-8000-000000000001",
      to: { name: "Zoë Ünal", address: "zoe@example.com" },
      subject: "Held: Dune, Sat 5 Dec 19:30 — pay by 19:12",
      text: "Hello Zoë Ünal,\n\nSeat A1 is held.\n",
      html: "<p>Hello Zoë Ünal,</p>",
      date: new Date("2026-12-05T18:00:00Z")
    }
    expect(renderMail(FROM, mail).equals(renderMail(FROM, mail))).toBe(true)
  })

  test("quoted-printable encodes `=`, a dot opening a line, trailing whitespace and non-ASCII, and soft-breaks long lines", () => {
    expect(quotedPrintable("a=b")).toBe("a=3Db")
    expect(quotedPrintable(".\n..x")).toBe("=2E\r\n=2E.x")
    expect(quotedPrintable("end \nx\t")).toBe("end=20\r\nx=09")
    expect(quotedPrintable("é")).toBe("=C3=A9")
    const long = quotedPrintable("y".repeat(200))
    expect(long.split("\r\n").every((l) => l.length <= 76)).toBe(true)
    expect(long.replace(/=\r\n/g, "")).toBe("y".repeat(200))
  })
})

// The bytes of an outgoing e-mail (RFC 5322 + MIME): a small renderer for exactly the shapes notifications sends,
// multipart/alternative (text + HTML) and, with inline images, the HTML inside multipart/related. CRLF line ends,
// 7-bit output: non-ASCII headers as RFC 2047 encoded words, bodies quoted-printable, images base64, ≤76-char lines.
import addressparser from "nodemailer/lib/addressparser"

/** A mailbox: an optional display name and the address. */
export interface MailAddress {
  readonly name: string | null
  readonly address: string
}

/** An image the HTML part shows inline (`<img src="cid:…">`). */
export interface MimeInlineImage {
  readonly cid: string
  readonly filename: string
  readonly contentType: string
  readonly content: Buffer
}

export interface MimeMessage {
  readonly from: MailAddress
  readonly to: MailAddress
  readonly subject: string
  /** Becomes the Message-ID `<messageId@domain>` and names the MIME boundaries, so a re-send is byte-for-byte the same. */
  readonly id: string
  readonly messageIdDomain: string
  readonly date: Date
  readonly text: string
  readonly html: string
  readonly inlineImages: ReadonlyArray<MimeInlineImage>
}

const CRLF = "\r\n"

/** `Book a Ticket <no-reply@bookaticket.local>` → its name and address (the first mailbox of the list). */
export const parseMailbox = (s: string): MailAddress => {
  const first = addressparser(s, { flatten: true })[0]
  if (first === undefined || !first.address) return { name: null, address: s.trim() }
  return { name: first.name || null, address: first.address }
}

// ---- headers -------------------------------------------------------------------------------------------

/** Words of RFC 5322 `atext` separated by single spaces: safe as a display name or subject without quoting. */
const ATOMS = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/
/** Printable ASCII words separated by single spaces. */
const PRINTABLE_WORDS = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/

/** UTF-8 bytes of one encoded word's payload: 39 bytes → 52 base64 characters → a 64-character word. */
const WORD_BYTES = 39

/**
 * RFC 2047 `B` encoded words for `s`, split between whole characters (a word never ends inside a UTF-8
 * sequence) and joined by folding whitespace, which a reader drops between adjacent encoded words.
 */
const encodedWords = (s: string): string => {
  const words: Array<string> = []
  let chunk = ""
  let bytes = 0
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (bytes + n > WORD_BYTES) {
      words.push(`=?UTF-8?B?${Buffer.from(chunk, "utf8").toString("base64")}?=`)
      chunk = ""
      bytes = 0
    }
    chunk += ch
    bytes += n
  }
  if (chunk !== "" || words.length === 0) words.push(`=?UTF-8?B?${Buffer.from(chunk, "utf8").toString("base64")}?=`)
  return words.join(`${CRLF} `)
}

/** An unstructured header value (Subject): as is when short plain ASCII, else encoded words. */
const unstructured = (name: string, value: string): string =>
  PRINTABLE_WORDS.test(value) && !value.includes("=?") && name.length + 2 + value.length <= 78
    ? `${name}: ${value}`
    : `${name}: ${encodedWords(value)}`

/** An address, with no character that could end the header or the angle brackets. */
const cleanAddress = (address: string): string => address.replace(/[\r\n<>\s]/g, "")

/** A display name: an atom phrase, a quoted string, or encoded words (non-ASCII, or long). */
const phrase = (name: string): string => {
  if (!name.includes("=?") && name.length <= 60) {
    if (ATOMS.test(name)) return name
    if (PRINTABLE_WORDS.test(name)) return `"${name.replace(/[\\"]/g, "\\$&")}"`
  }
  return encodedWords(name)
}

/** A mailbox header (From, To), folded before the address when the line would be long. */
const mailbox = (header: string, a: MailAddress): string => {
  const address = cleanAddress(a.address)
  if (!a.name) return `${header}: ${address}`
  const p = phrase(a.name)
  const lastLine = p.slice(p.lastIndexOf("\n") + 1)
  const lineLength = (p.includes("\n") ? lastLine.length : header.length + 2 + p.length) + address.length + 3
  return `${header}: ${p}${lineLength <= 78 ? " " : `${CRLF} `}<${address}>`
}

/** RFC 5322 date in UTC: `Sun, 29 Nov 2026 22:48:49 +0000`. */
const dateHeader = (d: Date): string => d.toUTCString().replace(/GMT$/, "+0000")

/** A MIME parameter (`name`, `filename`): quoted when printable ASCII, else RFC 2231 `name*=utf-8''…`. */
const parameter = (key: string, value: string): string =>
  /^[\x20-\x7e]*$/.test(value) && !/["\\]/.test(value) && value.length <= 60
    ? `${key}="${value}"`
    : `${key}*=utf-8''${encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`

// ---- bodies --------------------------------------------------------------------------------------------

/** How each byte reads in quoted-printable mid-line: itself when printable ASCII other than `=`, else `=XX`. */
const QP: ReadonlyArray<string> = Array.from({ length: 256 }, (_, b) =>
  (b >= 33 && b <= 126 && b !== 61) || b === 32 || b === 9
    ? String.fromCharCode(b)
    : `=${b.toString(16).toUpperCase().padStart(2, "0")}`
)

/**
 * Quoted-printable (RFC 2045 §6.7) of `text` as UTF-8: its line breaks (LF, CRLF or CR) become CRLF, soft
 * breaks keep every line at most 76 characters, whitespace before a line end and a dot opening a line are
 * encoded (a dot alone on a line would end an SMTP message on a transport that does not escape it).
 */
export const quotedPrintable = (text: string): string => {
  const src = Buffer.from(text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text, "utf8")
  let out = ""
  let line = 0 // characters on the current output line
  const n = src.length
  for (let i = 0; i < n; i++) {
    const b = src[i]!
    if (b === 10) {
      out += CRLF
      line = 0
      continue
    }
    let token = QP[b]!
    if ((b === 32 || b === 9) && (i + 1 === n || src[i + 1] === 10)) token = b === 32 ? "=20" : "=09"
    else if (b === 46 && line === 0) token = "=2E"
    if (line + token.length > 75) {
      out += `=${CRLF}`
      line = 0
      if (b === 46) token = "=2E"
    }
    out += token
    line += token.length
  }
  return out
}

/** Base64 in lines of 76 characters. */
export const base64Lines = (content: Buffer): string => {
  const s = content.toString("base64")
  if (s.length <= 76) return s
  const lines: Array<string> = []
  for (let i = 0; i < s.length; i += 76) lines.push(s.slice(i, i + 76))
  return lines.join(CRLF)
}

const textPart = (subtype: "plain" | "html", body: string): string =>
  `Content-Type: text/${subtype}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${quotedPrintable(body)}`

const imagePart = (i: MimeInlineImage): string =>
  `Content-Type: ${i.contentType};${CRLF} ${parameter("name", i.filename)}${CRLF}` +
  `Content-Transfer-Encoding: base64${CRLF}` +
  `Content-ID: <${i.cid.replace(/[\r\n<>\s]/g, "")}>${CRLF}` +
  `Content-Disposition: inline;${CRLF} ${parameter("filename", i.filename)}${CRLF}${CRLF}` +
  base64Lines(i.content)

/** A multipart body: each part after its delimiter, then the close delimiter. */
const multipart = (boundary: string, parts: ReadonlyArray<string>): string =>
  `${parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join("")}--${boundary}--${CRLF}`

/**
 * The whole message. Boundaries contain `=_`, which neither quoted-printable (`=` is always followed by hex
 * digits or a line end) nor base64 can produce, so no body can contain a delimiter.
 */
export const renderMime = (m: MimeMessage): Buffer => {
  const alt = `=_bat_${m.id}_alt`
  const head =
    `${mailbox("From", m.from)}${CRLF}` +
    `${mailbox("To", m.to)}${CRLF}` +
    `${unstructured("Subject", m.subject)}${CRLF}` +
    `Message-ID: <${m.id}@${m.messageIdDomain}>${CRLF}` +
    `Date: ${dateHeader(m.date)}${CRLF}` +
    `MIME-Version: 1.0${CRLF}` +
    `Content-Type: multipart/alternative;${CRLF} boundary="${alt}"${CRLF}${CRLF}`
  let htmlPart = textPart("html", m.html)
  if (m.inlineImages.length > 0) {
    const rel = `=_bat_${m.id}_rel`
    htmlPart =
      `Content-Type: multipart/related; type="text/html";${CRLF} boundary="${rel}"${CRLF}${CRLF}` +
      multipart(rel, [htmlPart, ...m.inlineImages.map(imagePart)])
  }
  return Buffer.from(head + multipart(alt, [textPart("plain", m.text), htmlPart]), "utf8")
}

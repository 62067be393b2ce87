// Parsers for command-line values: row ranges, seat lists, prices, times and card details.
// Each throws a usage error (exit code 2) whose message says what was expected.
import { SEAT_NUMBER } from "@bat/contracts"
import { formatMoney as formatMoneyText, fractionDigits } from "@bat/contracts/money"
import { usageError } from "./errors.ts"

const ROW_LABEL = /^[A-Z]{1,2}$/
const MAX_ROWS = 100
export const MAX_SEATS_PER_BOOKING = 10

/** A row label as a number in bijective base 26: A=1 … Z=26, AA=27 … ZZ=702. */
const labelToIndex = (label: string): number => [...label].reduce((n, c) => n * 26 + (c.charCodeAt(0) - 64), 0)
const indexToLabel = (index: number): string => {
  let label = ""
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) label = String.fromCharCode(65 + ((n - 1) % 26)) + label
  return label
}

/** `A-J`, `A,B,C`, `A-H,J-K` or `AA-AC` → the row labels in order, each once. */
export const parseRowLabels = (spec: string): string[] => {
  const labels: string[] = []
  const parts = spec.split(",").map((p) => p.trim().toUpperCase())
  for (const part of parts) {
    const range = /^([A-Z]{1,2})\s*-\s*([A-Z]{1,2})$/.exec(part)
    if (range) {
      const from = labelToIndex(range[1] as string)
      const to = labelToIndex(range[2] as string)
      if (from > to) throw usageError(`--rows: the range ${part} runs backwards; write it as ${range[2]}-${range[1]}`)
      for (let i = from; i <= to && labels.length <= MAX_ROWS; i++) labels.push(indexToLabel(i))
    } else if (ROW_LABEL.test(part)) {
      labels.push(part)
    } else {
      throw usageError(`--rows: "${part}" is not a row label or range; use letters such as A-J or A,B,C`)
    }
  }
  if (labels.length === 0) throw usageError("--rows: give at least one row, e.g. A-J")
  if (labels.length > MAX_ROWS) throw usageError(`--rows: a hall has at most ${MAX_ROWS} rows`)
  const seen = new Set<string>()
  for (const label of labels) {
    if (seen.has(label)) throw usageError(`--rows: row ${label} is listed twice`)
    seen.add(label)
  }
  return labels
}

export const parsePositiveInt = (raw: string, what: string, max = Number.MAX_SAFE_INTEGER): number => {
  if (!/^\d+$/.test(raw.trim())) throw usageError(`${what} must be a whole number, not "${raw}"`)
  const n = Number(raw.trim())
  if (n < 1 || n > max) throw usageError(`${what} must be between 1 and ${max}, not ${n}`)
  return n
}

export interface RowLayout {
  readonly label: string
  readonly seats: number
}

/** `--rows A-J --seats 14` → ten rows of fourteen seats. */
export const layoutFromRows = (rows: string, seats: string): RowLayout[] => {
  const perRow = parsePositiveInt(seats, "--seats", 999)
  return parseRowLabels(rows).map((label) => ({ label, seats: perRow }))
}

/** A layout file: `[{label, seats}, ...]` or `{rows: [...]}`. */
export const parseLayoutJson = (text: string, source: string): RowLayout[] => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw usageError(`${source} is not valid JSON`)
  }
  const rows = Array.isArray(value) ? value : (value as { rows?: unknown } | null)?.rows
  if (!Array.isArray(rows) || rows.length === 0) {
    throw usageError(`${source} must hold a list of rows such as [{"label":"A","seats":12}] (or {"rows": [...]})`)
  }
  const seen = new Set<string>()
  return rows.map((row: unknown, i) => {
    const { label, seats } = (row ?? {}) as { label?: unknown; seats?: unknown }
    if (typeof label !== "string" || !ROW_LABEL.test(label)) {
      throw usageError(`${source}: row ${i + 1} needs a "label" of one or two capital letters`)
    }
    if (typeof seats !== "number" || !Number.isInteger(seats) || seats < 1 || seats > 999) {
      throw usageError(`${source}: row ${label} needs "seats" between 1 and 999`)
    }
    if (seen.has(label)) throw usageError(`${source}: row ${label} is listed twice`)
    seen.add(label)
    return { label, seats }
  })
}

/** `A1,A2`, `a1 a2` or `A1-A4` (one row) → distinct seat numbers, 1 to 10 of them. */
export const parseSeatList = (spec: string): string[] => {
  const seats: string[] = []
  for (const part of spec.split(/[\s,]+/).filter((p) => p !== "")) {
    const token = part.toUpperCase()
    const range = /^([A-Z]{1,2})(\d+)-(?:([A-Z]{1,2}))?(\d+)$/.exec(token)
    if (range) {
      const [, row, fromRaw, toRow, toRaw] = range as unknown as [string, string, string, string | undefined, string]
      if (toRow !== undefined && toRow !== row) throw usageError(`--seats: a range stays in one row (${token})`)
      const from = Number(fromRaw)
      const to = Number(toRaw)
      if (from < 1 || from > to) throw usageError(`--seats: ${token} is not a valid range; write e.g. A3-A6`)
      if (to - from >= MAX_SEATS_PER_BOOKING) throw usageError(`--seats: at most ${MAX_SEATS_PER_BOOKING} seats per booking`)
      for (let n = from; n <= to; n++) seats.push(`${row}${n}`)
    } else if (SEAT_NUMBER.test(token)) {
      seats.push(token)
    } else {
      throw usageError(`--seats: "${part}" is not a seat number; use a row and a number such as A7`)
    }
  }
  if (seats.length === 0) throw usageError("--seats: name at least one seat, e.g. --seats A1,A2")
  for (const seat of seats) {
    if (!SEAT_NUMBER.test(seat)) throw usageError(`--seats: "${seat}" is not a seat number`)
  }
  const distinct = new Set(seats)
  if (distinct.size !== seats.length) {
    const twice = seats.find((s, i) => seats.indexOf(s) !== i)
    throw usageError(`--seats: ${twice} is listed twice`)
  }
  if (seats.length > MAX_SEATS_PER_BOOKING) {
    throw usageError(`--seats: at most ${MAX_SEATS_PER_BOOKING} seats per booking, not ${seats.length}`)
  }
  return seats
}

/** `12/30`, `12/2030` or `1-31` → month and four-digit year; a card that expired before `now` is refused. */
export const parseCardExpiry = (raw: string, now: Date = new Date()): { expMonth: number; expYear: number } => {
  const match = /^\s*(\d{1,2})\s*[/-]\s*(\d{2}|\d{4})\s*$/.exec(raw)
  if (!match) throw usageError(`--exp must look like MM/YY, e.g. 12/30 (got "${raw}")`)
  const expMonth = Number(match[1])
  const yearRaw = match[2] as string
  const expYear = yearRaw.length === 2 ? 2000 + Number(yearRaw) : Number(yearRaw)
  if (expMonth < 1 || expMonth > 12) throw usageError(`--exp: month must be 01 to 12, not ${match[1]}`)
  const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth()
  if (expYear * 12 + (expMonth - 1) < thisMonth) throw usageError(`--exp: the card expired in ${raw.trim()}`)
  return { expMonth, expYear }
}

const luhnValid = (digits: string): boolean => {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/** Card number with spaces or dashes removed; never echoed back in an error. */
export const parseCardNumber = (raw: string): string => {
  const digits = raw.replace(/[\s-]/g, "")
  if (!/^\d{12,19}$/.test(digits)) throw usageError("--card must be 12 to 19 digits (spaces and dashes are fine)")
  if (!luhnValid(digits)) throw usageError("--card is not a valid card number (its check digit is wrong); try 4242424242424242")
  return digits
}

export const parseCvc = (raw: string): string => {
  if (!/^\d{3,4}$/.test(raw.trim())) throw usageError("--cvc must be 3 or 4 digits")
  return raw.trim()
}


/** `12.50`, `12.50 EUR` or `EUR 12.50` → integer minor units and currency (`currency` when none is written). */
export const parsePrice = (raw: string, currency = "EUR"): { amount: number; currency: string } => {
  const match = /^\s*(?:([A-Za-z]{3})\s*)?(\d+(?:[.,]\d+)?)(?:\s*([A-Za-z]{3}))?\s*$/.exec(raw)
  if (!match || (match[1] && match[3])) throw usageError(`--price must be an amount such as 12.50 or "12.50 EUR", not "${raw}"`)
  const code = (match[1] ?? match[3] ?? currency).toUpperCase()
  if (!/^[A-Z]{3}$/.test(code)) throw usageError(`--currency must be a three-letter code such as EUR, not "${code}"`)
  const digits = fractionDigits(code)
  const [whole, fraction = ""] = (match[2] as string).replace(",", ".").split(".")
  if (fraction.length > digits) throw usageError(`--price: ${code} has ${digits} decimal places at most`)
  const amount = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0")
  if (!Number.isSafeInteger(amount) || amount > 100_000_000) throw usageError("--price is too large")
  return { amount, currency: code }
}

/** Minor units back to a display amount with the code first, as every notice and e-mail writes it: "EUR 12.50". */
export const formatMoney = (amount: number, currency: string): string => formatMoneyText(amount, currency)

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

/** An ISO-8601 time with an explicit offset; passed on as written (the service normalises to UTC). */
export const parseDateTime = (raw: string, what: string): string => {
  const value = raw.trim()
  if (!ISO_WITH_OFFSET.test(value) || Number.isNaN(Date.parse(value))) {
    throw usageError(`${what} must be an ISO-8601 time with an offset, e.g. 2026-12-01T18:30:00Z or 2026-12-01T19:30+01:00 (got "${raw}")`)
  }
  return value
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Ids are UUIDs; checking locally gives a clearer message than the API's 404. */
export const parseId = (raw: string, what: string): string => {
  if (!UUID.test(raw.trim())) throw usageError(`${what} must be an id such as 0190d7c4-5a1b-7c3e-9f00-123456789abc, not "${raw}"`)
  return raw.trim().toLowerCase()
}

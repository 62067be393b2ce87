// Money in minor units as a person reads it, written one way for notices, e-mails, the CLI and the web page.
// No imports: the page's bundle takes this file as it is.

type Style = "code" | "symbol"

/** Decimal places of a currency (EUR 2, JPY 0, BHD 3); 2 for a code Intl does not know. */
export const fractionDigits = (currency: string): number => {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return 2
  }
}

const numberFormats = new Map<string, { readonly format: Intl.NumberFormat; readonly digits: number }>()
const symbolFormats = new Map<string, Intl.NumberFormat | null>()
/** Amounts already written: prices repeat. Bounded, emptied when full. */
const texts = new Map<string, string>()
const TEXTS_MAX = 4_096

const numberFormatOf = (currency: string, locale: string) => {
  const key = `${locale}|${currency}`
  let f = numberFormats.get(key)
  if (f === undefined) {
    const digits = fractionDigits(currency)
    f = { format: new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }), digits }
    if (numberFormats.size < 256) numberFormats.set(key, f)
  }
  return f
}

const symbolFormatOf = (currency: string, locale: string): Intl.NumberFormat | null => {
  const key = `${locale}|${currency}`
  let f = symbolFormats.get(key)
  if (f === undefined) {
    try {
      f = new Intl.NumberFormat(locale, { style: "currency", currency })
    } catch {
      f = null
    }
    if (symbolFormats.size < 256) symbolFormats.set(key, f)
  }
  return f
}

/**
 * `formatMoney(1250, "EUR")` → `EUR 12.50` (the code first, as notices, e-mails and the CLI write it; a negative
 * amount keeps its sign after the code: `EUR -5.00`); with `"symbol"` → `€12.50` (the page). Spaces are plain ones,
 * so the text survives every mail client and terminal.
 */
export const formatMoney = (amount: number, currency: string, style: Style = "code", locale = "en-GB"): string => {
  const key = `${style}|${locale}|${currency}|${amount}`
  const known = texts.get(key)
  if (known !== undefined) return known
  const { format, digits } = numberFormatOf(currency, locale)
  const symbol = style === "symbol" ? symbolFormatOf(currency, locale) : null
  const text =
    symbol !== null
      ? symbol.format(amount / 10 ** digits)
      : `${currency} ${amount < 0 ? "-" : ""}${format.format(Math.abs(amount) / 10 ** digits)}`
  const plain = text.replace(/[\u00a0\u202f]/g, " ")
  if (texts.size >= TEXTS_MAX) texts.clear()
  texts.set(key, plain)
  return plain
}

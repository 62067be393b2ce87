// Times as a person reads them: local to the cinema, with the zone's abbreviation or offset.

const formatters = new Map<string, Intl.DateTimeFormat>()

const formatterFor = (timeZone: string, withYear: boolean): Intl.DateTimeFormat => {
  const key = `${timeZone}|${withYear}`
  let f = formatters.get(key)
  if (f === undefined) {
    // en-GB writes day before month and a 24-hour clock; "short" names the zone (CET, CEST) or,
    // where the locale has no abbreviation, its offset (GMT+5:30).
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      weekday: "short",
      day: "numeric",
      month: "short",
      ...(withYear ? { year: "numeric" as const } : {}),
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short"
    })
    formatters.set(key, f)
  }
  return f
}

/** A moment split as a person reads it in a zone: `Sat 5 Dec`, `19:30`, `CET` (or `GMT+5:30`). */
export interface LocalParts {
  readonly day: string
  readonly time: string
  readonly zone: string
}

/**
 * Parts already computed, by zone, year or not, and time: the same screening's start is shown in every notice
 * of every booking for it. A bounded map, emptied when full (a plain cache: the parts of a moment never change).
 */
const partsCache = new Map<string, LocalParts | undefined>()
const PARTS_CACHE_MAX = 4_096

/** The parts of `isoUtc` in `timeZone`; a zone the runtime does not know is read as UTC, an unreadable time is undefined. */
export const localParts = (isoUtc: string, timeZone: string, withYear = false): LocalParts | undefined => {
  const key = `${timeZone}|${withYear ? "y" : "n"}|${isoUtc}`
  if (partsCache.has(key)) return partsCache.get(key)
  const parts = computeParts(isoUtc, timeZone, withYear)
  if (partsCache.size >= PARTS_CACHE_MAX) partsCache.clear()
  partsCache.set(key, parts)
  return parts
}

const computeParts = (isoUtc: string, timeZone: string, withYear: boolean): LocalParts | undefined => {
  const date = new Date(isoUtc)
  if (Number.isNaN(date.getTime())) return undefined
  let f: Intl.DateTimeFormat
  try {
    f = formatterFor(timeZone, withYear)
  } catch {
    f = formatterFor("UTC", withYear)
  }
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {}
  for (const part of f.formatToParts(date)) p[part.type] = part.value
  return Object.freeze({
    day: `${p.weekday} ${p.day} ${p.month}${withYear ? ` ${p.year}` : ""}`,
    time: `${p.hour}:${p.minute}`,
    zone: p.timeZoneName ?? timeZone
  })
}

const render = (isoUtc: string, timeZone: string, withYear: boolean): string => {
  const p = localParts(isoUtc, timeZone, withYear)
  return p ? `${p.day}, ${p.time} ${p.zone}` : isoUtc
}

/** `2026-12-05T18:30:00.000Z` in Europe/Berlin → `Sat 5 Dec 2026, 19:30 CET`. */
export const formatLocal = (isoUtc: string, timeZone: string): string => render(isoUtc, timeZone, true)

/** The same without the year, for tables and notices: `Sat 5 Dec, 19:30 CET`. */
export const formatLocalShort = (isoUtc: string, timeZone: string): string => render(isoUtc, timeZone, false)

// A screening's times as its customers read them: local to the cinema, with the zone's abbreviation or offset.
import { formatLocalShort } from "@bat/contracts"

/** A moment split as a person reads it in a zone: `Sat 5 Dec`, `19:30`, `CET` (or `GMT+5:30`). */
export interface LocalParts {
  readonly day: string
  readonly time: string
  readonly zone: string
}

const formatters = new Map<string, Intl.DateTimeFormat>()

const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    // en-GB: day before month and a 24-hour clock; "short" gives CET/CEST, or the offset where the
    // locale has no abbreviation (GMT+5:30).
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short"
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The parts of `isoUtc` in `timeZone`; an unknown zone falls back to UTC, an unreadable time to undefined. */
export const localParts = (isoUtc: string, timeZone: string): LocalParts | undefined => {
  const date = new Date(isoUtc)
  if (Number.isNaN(date.getTime())) return undefined
  let f: Intl.DateTimeFormat
  try {
    f = formatterFor(timeZone)
  } catch {
    f = formatterFor("UTC")
  }
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {}
  for (const part of f.formatToParts(date)) p[part.type] = part.value
  return { day: `${p.weekday} ${p.day} ${p.month}`, time: `${p.hour}:${p.minute}`, zone: p.timeZoneName ?? timeZone }
}

/**
 * `2026-12-05T18:30:00Z` in Europe/Berlin → `Sat 5 Dec, 19:30 CET` (the shared formatter of every
 * service); a zone the runtime does not know is read as UTC rather than failing the notice.
 */
export const formatLocal = (isoUtc: string, timeZone: string): string => {
  if (Number.isNaN(Date.parse(isoUtc))) return isoUtc
  try {
    return formatLocalShort(isoUtc, timeZone)
  } catch {
    return formatLocalShort(isoUtc, "UTC")
  }
}

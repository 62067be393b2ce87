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

const render = (isoUtc: string, timeZone: string, withYear: boolean): string => {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {}
  for (const p of formatterFor(timeZone, withYear).formatToParts(new Date(isoUtc))) parts[p.type] = p.value
  const day = `${parts.weekday} ${parts.day} ${parts.month}${withYear ? ` ${parts.year}` : ""}`
  return `${day}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`
}

/** `2026-12-05T18:30:00.000Z` in Europe/Berlin → `Sat 5 Dec 2026, 19:30 CET`. */
export const formatLocal = (isoUtc: string, timeZone: string): string => render(isoUtc, timeZone, true)

/** The same without the year, for tables: `Sat 5 Dec, 19:30 CET`. */
export const formatLocalShort = (isoUtc: string, timeZone: string): string => render(isoUtc, timeZone, false)

// A screening's times as its customers read them: local to the cinema, with the zone's abbreviation or
// offset (the shared formatter of every service, from packages/contracts).
import { formatLocalShort } from "@bat/contracts"

export { localParts, type LocalParts } from "@bat/contracts"

/** `2026-12-05T18:30:00Z` in Europe/Berlin → `Sat 5 Dec, 19:30 CET`; an unknown zone reads as UTC. */
export const formatLocal = (isoUtc: string, timeZone: string): string => formatLocalShort(isoUtc, timeZone)

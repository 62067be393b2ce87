// QR codes of ticket codes, drawn once per ticket: a ticket's code never changes once issued, and drawing one
// costs ~10 ms of CPU. A small LRU keyed by the code itself (so a changed code is simply another entry).
import QRCode from "qrcode"

/** How many drawn QR codes are kept by default (each ~9 KB of SVG text: ~19 MB when full). */
export const QR_CACHE_SIZE = 2_000

export const makeQrCache = (size: number = QR_CACHE_SIZE) => {
  const entries = new Map<string, string>()
  return {
    /** The SVG of `code`, drawn on its first request only (least recently used entries go first). */
    svg: async (code: string): Promise<string> => {
      const hit = entries.get(code)
      if (hit !== undefined) {
        entries.delete(code)
        entries.set(code, hit)
        return hit
      }
      const svg = await QRCode.toString(code, { type: "svg", errorCorrectionLevel: "M", margin: 2 })
      if (size > 0) {
        entries.set(code, svg)
        while (entries.size > size) entries.delete(entries.keys().next().value as string)
      }
      return svg
    },
    size: () => entries.size
  }
}

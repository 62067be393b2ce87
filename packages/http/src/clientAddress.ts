// Who is asking: the client address a limit or an allow-list is keyed by. Behind the front door the peer is the
// front door itself, so the address it forwarded is taken (the last X-Forwarded-For entry that is not a trusted
// proxy), but only from a peer on the trusted list; from anyone else the header is ignored and the peer counts.
import net from "node:net"

type Env = Readonly<Record<string, string | undefined>>

/** A set of addresses and CIDR ranges (IPv4 and IPv6; an IPv4-mapped IPv6 address matches its IPv4 range). */
export interface AddressList {
  readonly has: (address: string | undefined) => boolean
  readonly text: string
}

export const LOOPBACK = "127.0.0.0/8,::1"

/** Parses `a.b.c.d`, `a.b.c.d/n`, `::1`, `fd00::/8`, comma- or space-separated; throws on anything else. */
export const parseAddressList = (text: string, name = "address list"): AddressList => {
  const list = new net.BlockList()
  for (const entry of text.split(/[\s,]+/).filter((e) => e !== "")) {
    const [address, bits, ...rest] = entry.split("/")
    const family = net.isIP(address ?? "")
    const prefix = bits === undefined ? undefined : Number(bits)
    const max = family === 4 ? 32 : 128
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^[0-9]+$/.test(bits ?? "") || prefix > max))) {
      throw new Error(`${name} must list IP addresses or CIDR ranges, got ${JSON.stringify(entry)}`)
    }
    const type = family === 4 ? "ipv4" : "ipv6"
    if (prefix === undefined) list.addAddress(address!, type)
    else list.addSubnet(address!, prefix, type)
  }
  return {
    text,
    has: (candidate) => {
      if (candidate === undefined || candidate === "") return false
      const family = net.isIP(candidate)
      if (family === 0) return false
      if (list.check(candidate, family === 4 ? "ipv4" : "ipv6")) return true
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(candidate)?.[1]
      return mapped !== undefined && list.check(mapped, "ipv4")
    }
  }
}

/** An address-list setting (`TRUSTED_PROXIES`, `METRICS_ALLOW`, …); a bad value stops the process with one line. */
export const addressListSetting = (env: Env, name: string, fallback: string): AddressList => {
  const raw = env[name]
  return parseAddressList(raw === undefined || raw.trim() === "" ? fallback : raw, name)
}

/**
 * The client's address for a request that arrived from `peer`: when the peer is a trusted proxy, the last
 * X-Forwarded-For entry that is not itself a trusted proxy (each proxy appends its own peer, so behind nginx on the
 * front door's machine the header is `client, nginx` and nginx is skipped); else the peer itself. Only entries
 * written by trusted hops are read: the walk from the right stops at the first one that is not, or at a malformed
 * one (then the farthest trusted hop seen counts).
 */
export const clientAddressOf = (
  peer: string | undefined,
  forwardedFor: string | null | undefined,
  trusted: AddressList
): string | undefined => {
  if (!trusted.has(peer)) return peer
  const entries = (forwardedFor ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
  let client = peer
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!
    if (net.isIP(entry) === 0) break
    client = entry
    if (!trusted.has(entry)) break
  }
  return client
}

/**
 * What a per-address limit is keyed by: an IPv4 client (or an IPv4-mapped IPv6 one) by its address, an IPv6 client
 * by its /64. A subscriber or a rented server is handed a whole /64, so keying by the full IPv6 address would give
 * one person 2^64 quotas (accounts, held seats, password guesses, streams). Anything else is returned as it is.
 */
export const limitKeyOf = (address: string): string => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped !== undefined) return mapped
  if (net.isIP(address) !== 6) return address
  const bare = address.split("%")[0]!.toLowerCase()
  const [head, tail] = bare.includes("::") ? bare.split("::") as [string, string] : [bare, undefined]
  const left = head === "" ? [] : head.split(":")
  const right = tail === undefined || tail === "" ? [] : tail.split(":")
  // An embedded IPv4 tail (`::a.b.c.d` forms) is two groups, in the low 64 bits the key leaves out.
  const rightGroups = right.length + (right.at(-1)?.includes(".") ? 1 : 0)
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - rightGroups)).fill("0"), ...right]
  return `${groups.slice(0, 4).map((g) => (g.includes(".") ? "0" : String(parseInt(g, 16).toString(16)))).join(":")}::/64`
}

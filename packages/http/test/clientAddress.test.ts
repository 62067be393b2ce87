import { describe, expect, test } from "bun:test"
import { clientAddressOf, limitKeyOf, LOOPBACK, parseAddressList } from "../src/clientAddress.ts"

describe("client address", () => {
  const trusted = parseAddressList(LOOPBACK)

  test("a loopback peer's forwarded address is the client; anyone else's header is ignored", () => {
    expect(clientAddressOf("127.0.0.1", "203.0.113.7", trusted)).toBe("203.0.113.7")
    expect(clientAddressOf("::ffff:127.0.0.1", "10.1.1.1, 203.0.113.7", trusted)).toBe("203.0.113.7")
    expect(clientAddressOf("198.51.100.2", "203.0.113.7", trusted)).toBe("198.51.100.2")
    expect(clientAddressOf("127.0.0.1", undefined, trusted)).toBe("127.0.0.1")
    expect(clientAddressOf("127.0.0.1", "not-an-ip", trusted)).toBe("127.0.0.1")
  })

  test("behind a trusted proxy in front of the front door, the client is the last entry that is not a trusted proxy", () => {
    // nginx on the front door's machine writes the client; the front door appends nginx (its loopback peer).
    expect(clientAddressOf("127.0.0.1", "203.0.113.7, 127.0.0.1", trusted)).toBe("203.0.113.7")
    expect(clientAddressOf("127.0.0.1", "6.6.6.6, 203.0.113.7, ::1, 127.0.0.1", trusted)).toBe("203.0.113.7")
    // Nothing but trusted hops: the farthest of them; a malformed entry ends the walk.
    expect(clientAddressOf("127.0.0.1", "127.0.0.2, 127.0.0.1", trusted)).toBe("127.0.0.2")
    expect(clientAddressOf("127.0.0.1", "203.0.113.7, junk, 127.0.0.1", trusted)).toBe("127.0.0.1")
  })

  test("limits key an IPv6 client by its /64 (one subscriber's whole network), an IPv4 one by its address", () => {
    // One home or one rented server gets a /64: 2^64 addresses would otherwise be 2^64 separate quotas.
    expect(limitKeyOf("2001:db8:1:2::1")).toBe(limitKeyOf("2001:db8:1:2:ffff:1:2:3"))
    expect(limitKeyOf("2001:db8:1:2::1")).not.toBe(limitKeyOf("2001:db8:1:3::1"))
    expect(limitKeyOf("2001:0db8:0001:0002:0000:0000:0000:0001")).toBe(limitKeyOf("2001:db8:1:2::9"))
    expect(limitKeyOf("::ffff:203.0.113.7")).toBe("203.0.113.7")
    expect(limitKeyOf("203.0.113.7")).not.toBe(limitKeyOf("203.0.113.8"))
    expect(limitKeyOf("unknown")).toBe("unknown")
  })

  test("lists take addresses and CIDR ranges of both families and refuse anything else", () => {
    const list = parseAddressList("10.0.0.0/8, 192.0.2.1 fd00::/8")
    expect([list.has("10.9.8.7"), list.has("192.0.2.1"), list.has("192.0.2.2"), list.has("fd12::1"), list.has("::1")]).toEqual([
      true, true, false, true, false
    ])
    expect(() => parseAddressList("10.0.0.0/33", "METRICS_ALLOW")).toThrow("METRICS_ALLOW must list IP addresses or CIDR ranges")
    expect(() => parseAddressList("localhost", "TRUSTED_PROXIES")).toThrow('got "localhost"')
  })
})

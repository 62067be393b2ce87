// deploy/ (DESIGN §12): `systemd-analyze verify` accepts every unit, with no warning about any of them;
// each unit restarts on failure, gives up like `bun run start` (5 failures in 60 s), keeps its data in
// its StateDirectory, runs sandboxed, and leaves the JIT's W+X memory allowed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const deployDir = resolve(import.meta.dir, "..", "..", "deploy")
const services = ["users", "cinemas", "movies", "screenings", "booking", "payments", "notifications"]
const unitFiles = readdirSync(deployDir).filter((f) => f.endsWith(".service") || f.endsWith(".target"))

/** `key=value` lines of a unit (the last one wins, as in systemd for single-valued keys). */
const settings = (file: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const line of readFileSync(join(deployDir, file), "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim())
    if (m) out.set(m[1]!, m[2]!)
  }
  return out
}
const allValues = (file: string, key: string): Array<string> =>
  readFileSync(join(deployDir, file), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1))

let work: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "bat-units-"))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

test("there is a unit for every service and the front door, and a target", () => {
  for (const s of [...services, "gateway"]) expect(unitFiles).toContain(`bookaticket-${s}.service`)
  expect(unitFiles).toContain("bookaticket.target")
  const wants = settings("bookaticket.target").get("Wants")!.split(/\s+/)
  for (const s of [...services, "gateway"]) expect(wants).toContain(`bookaticket-${s}.service`)
})

describe.each([...services, "gateway"])("bookaticket-%s.service", (name) => {
  const file = `bookaticket-${name}.service`
  test("runs the built executable with its own settings file, restarting on failure", () => {
    const s = settings(file)
    expect(s.get("ExecStart")).toBe(`/usr/local/bin/bookaticket-${name}`)
    expect(s.get("EnvironmentFile")).toBe(`/etc/bookaticket/${name}.env`)
    expect(s.get("Restart")).toBe("on-failure")
    expect(s.get("RestartSec")).toMatch(/^\d+s?$/)
    expect(s.get("StartLimitIntervalSec")).toBe("60")
    expect(s.get("StartLimitBurst")).toBe("5")
    expect(s.get("WantedBy")).toBe("bookaticket.target")
  })
  test("is sandboxed, and leaves W+X memory to the JIT", () => {
    const s = settings(file)
    for (const [k, v] of Object.entries({
      DynamicUser: "yes",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectKernelLogs: "yes",
      ProtectControlGroups: "yes",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      RestrictNamespaces: "yes",
      LockPersonality: "yes",
      SystemCallFilter: "@system-service",
      CapabilityBoundingSet: "",
      // JavaScriptCore's JIT writes code it then runs: W+X memory must be allowed.
      MemoryDenyWriteExecute: "no"
    })) {
      expect([k, s.get(k)]).toEqual([k, v])
    }
  })
  if (name !== "gateway") {
    test("keeps its database in its state directory", () => {
      const s = settings(file)
      expect(s.get("StateDirectory")).toBe(`bookaticket/${name}`)
      expect(allValues(file, "Environment")).toContain(`DATA_DIR=/var/lib/bookaticket/${name}`)
    })
  }
  test("has an example settings file", () => {
    const env = readFileSync(join(deployDir, "env", `${name}.env`), "utf8")
    if (name !== "gateway") expect(env).toMatch(/^AMQP_URL=amqp:\/\/[^,\s]+(,amqp:\/\/[^,\s]+)+$/m)
  })
})

test("systemd-analyze verify accepts every unit, with no warning", async () => {
  // verify checks that ExecStart= is an executable: the units are checked as copies that point at
  // stand-in executables in a temporary directory, otherwise unchanged.
  const bin = join(work, "bin")
  const units = join(work, "units")
  mkdirSync(bin, { recursive: true })
  mkdirSync(units, { recursive: true })
  for (const f of unitFiles) {
    const text = readFileSync(join(deployDir, f), "utf8")
    for (const m of text.matchAll(/^ExecStart=\/usr\/local\/bin\/(\S+)$/gm)) {
      writeFileSync(join(bin, m[1]!), "#!/bin/sh\nexit 0\n")
      chmodSync(join(bin, m[1]!), 0o755)
    }
    writeFileSync(join(units, f), text.replaceAll("ExecStart=/usr/local/bin/", `ExecStart=${bin}/`))
  }
  const files = unitFiles.map((f) => join(units, f))
  const p = Bun.spawn(["systemd-analyze", "verify", ...files], { stdout: "pipe", stderr: "pipe", env: { ...process.env, SYSTEMD_LOG_COLOR: "0" } })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  const lines = `${out}\n${err}`.split("\n").filter((l) => l.trim() !== "")
  // Only lines about our units count: the host's own units may draw remarks in a container.
  const ours = lines.filter((l) => l.includes("bookaticket") || l.includes(units) || l.includes(bin))
  expect(ours).toEqual([])
  expect(code).toBe(0)
})

test("the check would notice a broken unit", async () => {
  const units = join(work, "broken")
  mkdirSync(units, { recursive: true })
  const text = readFileSync(join(deployDir, "bookaticket-booking.service"), "utf8")
  writeFileSync(join(units, "bookaticket-booking.service"), text.replace("Restart=on-failure", "Restart=on-failure\nRestartt=always").replace("ExecStart=/usr/local/bin/", `ExecStart=${work}/missing/`))
  const p = Bun.spawn(["systemd-analyze", "verify", join(units, "bookaticket-booking.service")], { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  expect(`${out}${err}`).toContain("Unknown key 'Restartt'")
  expect(`${out}${err}`).toContain("is not executable")
  expect(code).not.toBe(0)
})

// A cinema written before cinemas had zones keeps working: the migration gives it DEFAULT_TIME_ZONE.
import { bootService } from "@bat/http"
import { openDatabase } from "@bat/store"
import { createTestVhost, startTokenMint, tempDir, serviceAmqpUrl } from "@bat/testing"
import { expect, test } from "bun:test"
import { cinemasService } from "../src/service.ts"
import { migrationsFor } from "../src/store/migrations.ts"

test("an existing cinema without a zone gets DEFAULT_TIME_ZONE from the migration and is listed, shown and updated", async () => {
  const vhost = await createTestVhost({ layout: true })
  const data = tempDir("cinemas-tz")
  const mint = await startTokenMint()
  try {
    const old = openDatabase({ service: "cinemas", dataDir: data.dir, migrations: migrationsFor("UTC").filter((m) => m.version < 2) })
    const cinemaId = crypto.randomUUID()
    old.prepare("INSERT INTO cinemas (cinema_id, name, address, revision, created_at) VALUES (?, 'Old Roxy', '1 Old Road', 1, 0)").run(cinemaId)
    old.close()

    const env = { PORT: "0", DATA_DIR: data.dir, AMQP_URL: serviceAmqpUrl(vhost.amqpUrl, "cinemas"), JWKS_URL: mint.jwksUrl, DEFAULT_TIME_ZONE: "Europe/Berlin" }
    const svc = await bootService(cinemasService(env))
    try {
      const shown = await fetch(`${svc.url}/cinemas/${cinemaId}`)
      expect(shown.status).toBe(200)
      expect(await shown.json()).toEqual({
        cinemaId,
        name: "Old Roxy",
        address: "1 Old Road",
        timeZone: "Europe/Berlin",
        revision: 1,
        halls: []
      })
      const list = (await (await fetch(`${svc.url}/cinemas`)).json()) as { items: Array<{ cinemaId: string; timeZone: string }> }
      expect(list.items.find((c) => c.cinemaId === cinemaId)?.timeZone).toBe("Europe/Berlin")
      const staff = { authorization: `Bearer ${await mint.token(crypto.randomUUID(), "staff")}`, "content-type": "application/json" }
      const created = await fetch(`${svc.url}/cinemas`, { method: "POST", headers: staff, body: JSON.stringify({ name: "New", address: "2 Road" }) })
      expect(((await created.json()) as { timeZone: string }).timeZone).toBe("Europe/Berlin")
      const renamed = await fetch(`${svc.url}/cinemas/${cinemaId}`, { method: "PATCH", headers: staff, body: JSON.stringify({ name: "Roxy" }) })
      expect(await renamed.json()).toMatchObject({ name: "Roxy", timeZone: "Europe/Berlin", revision: 2 })
    } finally {
      await svc.stop()
    }
  } finally {
    await mint.stop()
    await vhost.cleanup()
    data.remove()
  }
})

test("a DEFAULT_TIME_ZONE the runtime does not know stops the service before it starts", () => {
  expect(() => cinemasService({ DEFAULT_TIME_ZONE: "Mars/Olympus_Mons" })).toThrow(/DEFAULT_TIME_ZONE/)
})

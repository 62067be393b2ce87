// The whole system for one e2e file: its own vhost and data directory, every service and the front door on free
// ports, and the staff account logged in through the front door.
import { createTestVhost, startFleet, type Fleet, type TestVhost } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api } from "./client.ts"

export interface WholeFleet {
  readonly vh: TestVhost
  readonly dataDir: string
  readonly fleet: Fleet
  /** The front door, anonymous. */
  readonly api: Api
  /** The front door, as the staff account. */
  readonly staff: Api
}

/** Starts it with `env` over the process's own environment; the staff account is `admin`. */
export const startWholeFleet = async (
  prefix: string,
  admin: { readonly email: string; readonly password: string },
  env: Record<string, string> = {}
): Promise<WholeFleet> => {
  const vh = await createTestVhost({ prefix })
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`))
  const fleet = await startFleet({
    ports: "free",
    env: { ...process.env, AMQP_URL: vh.amqpUrl, DATA_DIR: dataDir, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, ...env }
  })
  const api = new Api(fleet.urls.gateway!)
  const login = await api.post("/users/login", admin)
  if (login.status !== 200) throw new Error(`the staff log-in through the front door answered ${login.status}`)
  return { vh, dataDir, fleet, api, staff: api.as(login.body.token) }
}

/** Stops what `startWholeFleet` started, whatever part of it was started. */
export const stopWholeFleet = async (w: Partial<WholeFleet>): Promise<void> => {
  await w.fleet?.stop()
  await w.vh?.cleanup()
  if (w.dataDir) rmSync(w.dataDir, { recursive: true, force: true })
}

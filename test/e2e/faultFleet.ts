// A fleet on a throw-away vhost whose broker link runs through a TCP proxy the test can cut or flap.
import { createTestVhost, startFleet, startTcpProxy, type Fleet, type TcpProxy } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface FaultFleet {
  readonly fleet: Fleet
  readonly proxy: TcpProxy
  /** Stops the fleet, the proxy and deletes the vhost and data directory. */
  stop(): Promise<void>
}

export const startFleetBehindProxy = async (prefix: string, env: Record<string, string>): Promise<FaultFleet> => {
  const vh = await createTestVhost({ prefix })
  const proxy = await startTcpProxy(5672)
  const viaProxy = new URL(vh.amqpUrl)
  viaProxy.port = String(proxy.port)
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`))
  const cleanup = async () => {
    await proxy.close()
    await vh.cleanup()
    rmSync(dataDir, { recursive: true, force: true })
  }
  let fleet: Fleet
  try {
    // Fault tests: a few customers book and pay as fast as they can from 127.0.0.1, past what the abuse limits
    // allow one address and account (those are tested in the services' limits tests).
    fleet = await startFleet({ ports: "free", env: { ...process.env, ABUSE_LIMITS: "off", ...env, AMQP_URL: viaProxy.href, DATA_DIR: dataDir } })
  } catch (error) {
    await cleanup()
    throw error
  }
  return {
    fleet,
    proxy,
    stop: async () => {
      await fleet.stop()
      await cleanup()
    }
  }
}

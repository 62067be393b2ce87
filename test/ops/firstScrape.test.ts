// Every counter and gauge of DESIGN §12 is there from the first scrape of a fresh process, with its known label
// values at 0: an alert or a `rate()` on it has a series before the first event (a hold expiring, a payment, a
// rejected booking) ever happens.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { subscriptions } from "@bat/contracts"
import { createTestVhost, startFleet, type Fleet, type TestVhost } from "@bat/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const SERVICES = ["users", "cinemas", "movies", "screenings", "booking", "payments", "notifications"] as const
const OUTCOMES = ["done", "retried", "parked"]

/** The series each service must list at 0 before anything happened, besides its outbox and consumer series. */
const domainSeries: Partial<Record<(typeof SERVICES)[number], ReadonlyArray<string>>> = {
  booking: [
    'bookaticket_booking_decisions_total{outcome="reserved",reason=""}',
    ...["seat_unavailable", "seat_limit", "unknown_seat", "unknown_screening", "screening_started", "screening_cancelled", "user_unregistered"].map(
      (reason) => `bookaticket_booking_decisions_total{outcome="rejected",reason="${reason}"}`
    )
  ],
  payments: [
    "bookaticket_holds_expired_total",
    ...["succeeded", "failed", "expired", "refunded"].map((status) => `bookaticket_payments_total{status="${status}"}`)
  ],
  notifications: [
    ...["sent", "failed_permanent", "retry", "given_up", "skipped"].map((result) => `bookaticket_notification_deliveries_total{result="${result}"}`),
    'bookaticket_stream_clients{stream="notifications"}'
  ],
  screenings: ['bookaticket_stream_clients{stream="seats"}']
}

let vh: TestVhost
let dataDir: string
let fleet: Fleet

beforeAll(async () => {
  vh = await createTestVhost({ prefix: "bat-first-scrape" })
  dataDir = mkdtempSync(join(tmpdir(), "bat-first-scrape-"))
  fleet = await startFleet({ ports: "free", services: [...SERVICES], env: { ...process.env, AMQP_URL: vh.amqpUrl, DATA_DIR: dataDir } })
}, 90_000)

afterAll(async () => {
  await fleet?.stop()
  await vh?.cleanup()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}, 30_000)

/** `series → value` of a Prometheus text exposition (comments left out). */
const samples = (text: string) =>
  new Map(
    text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))] as const)
  )

describe("the first scrape of a fresh service", () => {
  for (const service of SERVICES) {
    test(`${service} lists its counters and gauges with their known labels at 0`, async () => {
      const scraped = samples(await (await fetch(`${fleet.urls[service]}/metrics`)).text())
      const consumed = (subscriptions[service] ?? []).flatMap((type) =>
        OUTCOMES.map((outcome) => `bookaticket_messages_consumed_total{service="${service}",type="${type}",outcome="${outcome}"}`)
      )
      const expected = [
        `bookaticket_outbox_backlog{service="${service}"}`,
        `bookaticket_outbox_oldest_unsent_age_seconds{service="${service}"}`,
        ...consumed,
        ...(domainSeries[service] ?? [])
      ]
      const missing = expected.filter((series) => !scraped.has(series))
      expect({ service, missing }).toEqual({ service, missing: [] })
      // Nothing happened yet in its domain: those counters are at 0 (the fleet's start-up may have sent a message or two).
      for (const series of domainSeries[service] ?? []) expect({ series, value: scraped.get(series) }).toEqual({ series, value: 0 })
    })
  }
})

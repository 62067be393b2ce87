// rabbitmq/asyncapi.yaml: current with the contracts, true to the topology, and accepted by `asyncapi validate`.
import { afterAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parse } from "yaml"
import { asyncApiDocument } from "../src/asyncapi.ts"
import { asyncApiPath, asyncApiYaml } from "../src/exportAsyncapi.ts"
import { bindingsOf, catalog, exchangeOf, inboxOf, producers, services, type EventType } from "../src/index.ts"

const root = join(import.meta.dir, "../../..")
type Node = Record<string, any>
const doc = asyncApiDocument() as Node
const refTarget = (r: { $ref: string }): string => r.$ref.split("/").at(-1)!

describe("rabbitmq/asyncapi.yaml", () => {
  test("matches what the contracts generate", async () => {
    expect(
      await Bun.file(asyncApiPath).text(),
      "rabbitmq/asyncapi.yaml is stale: run `bun run asyncapi:export` and commit it"
    ).toBe(asyncApiYaml())
  })

  test("is the YAML form of the generated document", async () => {
    expect(parse(await Bun.file(asyncApiPath).text())).toEqual(JSON.parse(JSON.stringify(doc)))
  })
})

describe("the AsyncAPI document", () => {
  test("has one message per event type, named after it, with the event type as AMQP type", () => {
    const messages = doc.components.messages as Node
    expect(Object.keys(messages).sort()).toEqual(Object.keys(catalog).sort())
    for (const [type, message] of Object.entries(messages)) {
      expect(message.name).toBe(type)
      expect(message.bindings.amqp.messageType).toBe(type)
      expect(message.payload.allOf[1].properties.type).toEqual({ const: type })
      expect(message.payload.allOf[1].properties.data.$ref).toBe(`#/components/schemas/${type}Data`)
      expect(doc.components.schemas[`${type}Data`]?.type).toBe("object")
    }
  })

  test("has a durable topic exchange per producer, sent to with that producer's events", () => {
    for (const producer of producers) {
      const exchange = exchangeOf(producer)
      const channel = doc.channels[exchange]
      expect(channel.bindings.amqp).toMatchObject({
        is: "routingKey",
        exchange: { name: exchange, type: "topic", durable: true, autoDelete: false, vhost: "/" }
      })
      const send = doc.operations[`${producer}.publish`]
      expect(send.action).toBe("send")
      expect(send.channel.$ref).toBe(`#/channels/${exchange}`)
      for (const type of send.messages.map(refTarget) as Array<EventType>) expect(catalog[type].producer).toBe(producer)
    }
    const published = producers.flatMap((p) => doc.operations[`${p}.publish`].messages.map(refTarget))
    expect(published.sort()).toEqual(Object.keys(catalog).filter((t) => t !== "HoldTimerElapsed").sort())
  })

  test("has each consumer's inbox bound to exactly its subscriptions, received by that consumer", () => {
    const consumers = services.filter((s) => bindingsOf(s).length > 0)
    expect(consumers.length).toBeGreaterThan(0)
    for (const service of consumers) {
      const inbox = inboxOf(service)
      expect(doc.channels[inbox].bindings.amqp).toMatchObject({ is: "queue", queue: { name: inbox, durable: true } })
      const keys = bindingsOf(service).map((b) => b.routingKey)
      expect(Object.keys(doc.channels[inbox].messages).sort()).toEqual([...keys].sort())
      for (const b of bindingsOf(service)) {
        expect(doc.channels[inbox].description).toContain(`\`${b.exchange}\` with routing key \`${b.routingKey}\``)
      }
      const receive = doc.operations[`${service}.consume`]
      expect(receive.action).toBe("receive")
      expect(receive.channel.$ref).toBe(`#/channels/${inbox}`)
      expect(receive.messages.map(refTarget).sort()).toEqual([...keys].sort())
    }
  })

  test("carries every field the envelope and event schemas require", () => {
    expect(doc.components.schemas.Envelope.required).toEqual([
      "id",
      "type",
      "version",
      "occurredAt",
      "source",
      "correlationId",
      "causationId",
      "data"
    ])
    expect(doc.components.schemas.TicketReservedData.properties.tickets.items.properties.seatNumber.pattern).toBe(
      "^[A-Z]{1,2}[1-9][0-9]{0,2}$"
    )
    expect(doc.components.schemas.PaymentFailedData.properties.reason.enum).toEqual([
      "declined",
      "insufficient_funds",
      "expired"
    ])
  })
})

describe("asyncapi validate", () => {
  // The CLI's analytics and update check are switched off: it must not need the network.
  const home = mkdtempSync(join(tmpdir(), "asyncapi-cli-"))
  const analytics = join(home, "analytics.json")
  writeFileSync(analytics, JSON.stringify({ analyticsEnabled: "false", infoMessageShown: "true", userID: "test" }))
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  test("accepts rabbitmq/asyncapi.yaml with no error", async () => {
    const proc = Bun.spawn(
      [join(root, "node_modules/.bin/asyncapi"), "validate", "rabbitmq/asyncapi.yaml", "--diagnostics-format", "json"],
      {
        cwd: root,
        env: {
          ...process.env,
          ASYNCAPI_METRICS_CONFIG_PATH: analytics,
          ASYNCAPI_SKIP_NEW_VERSION_CHECK: "true",
          SUPPRESS_NO_CONFIG_WARNING: "true",
          SUPPRESS_STRICTNESS_CHECK: "true",
          NO_COLOR: "1"
        },
        stdout: "pipe",
        stderr: "pipe"
      }
    )
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited
    ])
    const start = stdout.search(/^\[/m)
    expect(start, `no diagnostics in the CLI output:\n${stdout}\n${stderr}`).toBeGreaterThanOrEqual(0)
    const diagnostics = JSON.parse(stdout.slice(start)) as Array<{ code: string; message: string; severity: number; path: Array<string> }>
    const label = ["error", "warning", "info", "hint"]
    for (const d of diagnostics) console.log(`asyncapi validate: ${label[d.severity]} ${d.code} ${d.message} at ${d.path.join(".")}`)
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([])
    expect(code, `asyncapi validate exited ${code}:\n${stdout}\n${stderr}`).toBe(0)
    expect(stdout).toContain("is valid")
  }, 30_000)
})

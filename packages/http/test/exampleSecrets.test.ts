// With NODE_ENV=production no setting may hold an example or published development secret.
import { describe, expect, test } from "bun:test"
import { exampleSecretIn, hostSetting, refuseExampleSecrets } from "../src/index.ts"

describe("example secrets in production", () => {
  test("any setting holding CHANGE-ME, the development admin password or guest:guest is named", () => {
    expect(exampleSecretIn("amqp://bookaticket:CHANGE-ME@mq1.internal:5672/bat")).toContain("CHANGE-ME")
    expect(exampleSecretIn("CHANGE-ME-long-and-random")).toContain("CHANGE-ME")
    expect(exampleSecretIn("bookaticket-dev-admin")).toBeDefined()
    expect(exampleSecretIn("amqp://u:p@a:5672,amqp://guest:guest@b:5672")).toContain("guest:guest")
    expect(exampleSecretIn("amqp://booking:s3cr3t-long@mq1.internal:5672/bat")).toBeUndefined()
    expect(exampleSecretIn("a real password")).toBeUndefined()
  })

  test("NODE_ENV=production refuses them with one line naming the setting; development does not", () => {
    const env = { NODE_ENV: "production", ADMIN_PASSWORD: "CHANGE-ME-long-and-random" }
    expect(() => refuseExampleSecrets(env)).toThrow(/ADMIN_PASSWORD holds the example value CHANGE-ME/)
    expect(() => refuseExampleSecrets({ NODE_ENV: "production", BOOKING_AMQP_URL: "amqp://booking:CHANGE-ME@mq:5672" })).toThrow(
      /BOOKING_AMQP_URL/,
    )
    expect(() => refuseExampleSecrets({ NODE_ENV: "production" }, { AMQP_URL: "amqp://guest:guest@127.0.0.1:5672" })).toThrow(
      /AMQP_URL is not set and its development default has the published credentials guest:guest/,
    )
    expect(() => refuseExampleSecrets({ NODE_ENV: "production", AMQP_URL: "amqp://u:real@mq:5672" }, { AMQP_URL: "amqp://u:real@mq:5672" })).not.toThrow()
    expect(() => refuseExampleSecrets({ ...env, NODE_ENV: "development" }, { AMQP_URL: "amqp://guest:guest@127.0.0.1:5672" })).not.toThrow()
  })
})

describe("HOST", () => {
  test("loopback by default; an IP address or localhost, anything else named in one line", () => {
    expect(hostSetting({})).toBe("127.0.0.1")
    expect(["0.0.0.0", "::", "[::1]", "10.1.2.3", "localhost"].map((h) => hostSetting({ HOST: h }))).toEqual(["0.0.0.0", "::", "::1", "10.1.2.3", "localhost"])
    expect(() => hostSetting({ HOST: "bad" })).toThrow(/^HOST must be an IP address to listen on .*, got "bad"$/)
  })
})

import { afterAll, describe, expect, test } from "bun:test"
import { Context, Effect, Layer, ManagedRuntime, Schema } from "effect"
import { Elysia } from "elysia"
import { HttpProblem, makeRunner, makeServiceApp, UnexpectedFailure, type LogEntry, type ProblemTable } from "../src/index.ts"

class SeatUnavailable extends Schema.TaggedError<SeatUnavailable>()("SeatUnavailable", {
  screeningId: Schema.String,
  seatNumber: Schema.String,
}) {}
class ScreeningNotFound extends Schema.TaggedError<ScreeningNotFound>()("ScreeningNotFound", {
  screeningId: Schema.String,
}) {}
class GatewayHiccup extends Schema.TaggedError<GatewayHiccup>()("GatewayHiccup", {}) {}

class Seats extends Context.Service<Seats, {
  reserve(screeningId: string, seatNumber: string): Effect.Effect<{ ticketId: string }, SeatUnavailable | ScreeningNotFound | GatewayHiccup>
}>()("test/Seats") {}

const SeatsLive = Layer.succeed(Seats, {
  reserve: Effect.fn("Seats.reserve")(function* (screeningId: string, seatNumber: string) {
    if (screeningId === "missing") return yield* new ScreeningNotFound({ screeningId })
    if (screeningId === "flaky") return yield* new GatewayHiccup()
    if (screeningId === "broken") return yield* Effect.die(new Error("invariant broken"))
    if (seatNumber === "A1") return yield* new SeatUnavailable({ screeningId, seatNumber })
    return { ticketId: `${screeningId}:${seatNumber}` }
  }),
})

const problems: ProblemTable = {
  SeatUnavailable: {
    status: 409,
    code: "seat_unavailable",
    title: "Seat unavailable",
    detail: (e: SeatUnavailable) => `Seat ${e.seatNumber} is already held.`,
  },
  ScreeningNotFound: { status: 404, code: "screening_not_found" },
}

const runtime = ManagedRuntime.make(SeatsLive)
afterAll(() => runtime.dispose())
const run = makeRunner(runtime, problems)

const logged: LogEntry[] = []
const app = makeServiceApp({ service: "booking", readiness: async () => ({ ok: true, checks: {} }), log: (e) => logged.push(e) }).use(
  new Elysia().post("/tickets/:screeningId/:seat", ({ params }) =>
    run(Seats.use((seats) => seats.reserve(params.screeningId, params.seat))),
  ),
)

const reserve = (screeningId: string, seat: string) =>
  app.handle(new Request(`http://localhost/tickets/${screeningId}/${seat}`, { method: "POST" }))

describe("running use cases", () => {
  test("a successful use case resolves with its value", async () => {
    expect(await run(Seats.use((s) => s.reserve("s1", "B2")))).toEqual({ ticketId: "s1:B2" })
    const res = await reserve("s1", "B2")
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ticketId: "s1:B2" })
  })

  test("a tagged failure becomes the problem the table maps it to", async () => {
    const res = await reserve("s1", "A1")
    expect(res.status).toBe(409)
    expect(res.headers.get("content-type")).toBe("application/problem+json")
    expect(await res.json()).toEqual({
      type: "urn:bookaticket:problem:seat_unavailable",
      title: "Seat unavailable",
      status: 409,
      detail: "Seat A1 is already held.",
      code: "seat_unavailable",
    })
  })

  test("a mapping without title or detail falls back to the status title", async () => {
    const res = await reserve("missing", "B2")
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: "screening_not_found", title: "Not Found", detail: "Not Found" })
  })

  test("the runner rejects with an HttpProblem for mapped failures", async () => {
    const failure = await run(Seats.use((s) => s.reserve("s1", "A1"))).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(HttpProblem)
    expect(failure).toMatchObject({ status: 409, code: "seat_unavailable" })
  })

  test("an HttpProblem thrown inside a synchronous step stays the 4xx it describes", async () => {
    const problem = new HttpProblem({ status: 422, code: "invalid_cursor" })
    const failed = await run(Effect.sync(() => { throw problem })).catch((e: unknown) => e)
    expect(failed).toBe(problem)
  })

  test("a tagged failure the table does not know is a logged 500 internal_error", async () => {
    logged.length = 0
    const res = await reserve("flaky", "B2")
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ code: "internal_error", status: 500 })
    expect(logged).toHaveLength(1)
    expect(logged[0]?.error).toContain("GatewayHiccup")
  })

  test("a defect is a 500 internal_error whose cause is logged", async () => {
    logged.length = 0
    const failure = await run(Seats.use((s) => s.reserve("broken", "B2"))).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(UnexpectedFailure)
    const res = await reserve("broken", "B2")
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ code: "internal_error" })
    expect(logged[0]?.error).toContain("invariant broken")
  })

  test("a tagged error thrown straight from a route is mapped by the app's table", async () => {
    const direct = makeServiceApp({ service: "booking", readiness: async () => ({ ok: true, checks: {} }), problems }).get("/x", () => {
      throw new SeatUnavailable({ screeningId: "s1", seatNumber: "C3" })
    })
    const res = await direct.handle(new Request("http://localhost/x"))
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ code: "seat_unavailable", detail: "Seat C3 is already held." })
  })
})

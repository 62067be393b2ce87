// A small HTTP + Server-Sent Events client for end-to-end tests, talking to the front door.
import { freePort, pollUntil, repoRoot } from "@bat/testing"
import type { Subprocess } from "bun"

export interface Reply<T = any> {
  readonly status: number
  readonly body: T
  readonly contentType: string
}

export class Api {
  constructor(
    readonly base: string,
    readonly token?: string
  ) {}

  as(token: string): Api {
    return new Api(this.base, token)
  }

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, contentType: res.headers.get("content-type") ?? "" }
  }
  get = <T = any>(path: string) => this.call<T>("GET", path)
  post = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => this.call<T>("POST", path, body, headers)
}

export interface SseEvent {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: any
}

/** Opens `GET /notifications/stream` and collects events as they arrive. */
export const openStream = async (api: Api, lastEventId?: string) => {
  const abort = new AbortController()
  const res = await fetch(`${api.base}/notifications/stream`, {
    headers: {
      accept: "text/event-stream",
      authorization: `Bearer ${api.token}`,
      ...(lastEventId ? { "last-event-id": lastEventId } : {})
    },
    signal: abort.signal
  })
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`)
  const events: Array<SseEvent> = []
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += value
        let cut: number
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          let id: string | undefined
          let event: string | undefined
          const data: Array<string> = []
          for (const line of block.split("\n")) {
            if (line.startsWith("id:")) id = line.slice(3).trim()
            else if (line.startsWith("event:")) event = line.slice(6).trim()
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""))
          }
          if (data.length === 0) continue
          const raw = data.join("\n")
          let parsed: unknown = raw
          try {
            parsed = JSON.parse(raw)
          } catch {
            // keep the text
          }
          events.push({ id, event, data: parsed })
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    events,
    /** Waits for the notification of `kind` about `bookingId`. */
    waitFor: (bookingId: string, kind: string, timeoutMs = 15_000) =>
      pollUntil(() => events.find((e) => e.data?.bookingId === bookingId && e.data?.kind === kind), {
        timeoutMs,
        message: `a ${kind} notification for booking ${bookingId}`
      }),
    close: async () => {
      abort.abort()
      await pump
    }
  }
}

export const SERVICES = ["users", "cinemas", "movies", "screenings", "booking", "payments", "notifications", "gateway"] as const

/** Starts the whole system exactly as a user would, with `bun run start`, on free ports. */
export const startSystem = async (env: Record<string, string>) => {
  const ports: Record<string, number> = {}
  for (const s of SERVICES) ports[s] = await freePort()
  const portEnv = Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_PORT`, String(ports[s])]))
  const output: Array<string> = []
  const proc: Subprocess = Bun.spawn(["bun", "run", "start"], {
    cwd: repoRoot(),
    env: { ...process.env, ...portEnv, ...env, FORCE_COLOR: "0", NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore"
  })
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    const reader = stream.getReader()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      output.push(...decoder.decode(value, { stream: true }).split("\n"))
      if (output.length > 5_000) output.splice(0, output.length - 2_000)
    }
  }
  void collect(proc.stdout as ReadableStream<Uint8Array>)
  void collect(proc.stderr as ReadableStream<Uint8Array>)
  const gateway = `http://127.0.0.1:${ports.gateway}`
  try {
    await pollUntil(
      async () => {
        if (proc.exitCode !== null) throw new Error(`bun run start exited with ${proc.exitCode}`)
        for (const s of SERVICES) {
          const r = await fetch(`http://127.0.0.1:${ports[s]}/ready`)
          if (r.status !== 200) return false
        }
        return true
      },
      { timeoutMs: 60_000, intervalMs: 200, message: "every service to be ready" }
    )
  } catch (e) {
    proc.kill("SIGTERM")
    throw new Error(`${(e as Error).message}\n--- output ---\n${output.slice(-60).join("\n")}`)
  }
  return {
    gateway,
    ports,
    output,
    stop: async () => {
      proc.kill("SIGTERM")
      await proc.exited
    }
  }
}

/** Creates a cinema, a hall of `rows` × `seatsPerRow`, a movie and a screening tomorrow; returns the ids. */
export const setupCatalog = async (staff: Api, rows: ReadonlyArray<string>, seatsPerRow: number, priceAmount = 1000) => {
  const cinema = await staff.post("/cinemas", { name: `Cinema ${crypto.randomUUID().slice(0, 6)}`, address: "1 Test Street" })
  if (cinema.status !== 201) throw new Error(`cinema: ${cinema.status} ${JSON.stringify(cinema.body)}`)
  const hall = await staff.post(`/cinemas/${cinema.body.cinemaId}/halls`, {
    name: "Main",
    rows: rows.map((label) => ({ label, seats: seatsPerRow }))
  })
  if (hall.status !== 201) throw new Error(`hall: ${hall.status} ${JSON.stringify(hall.body)}`)
  const movie = await staff.post("/movies", { title: `Movie ${crypto.randomUUID().slice(0, 6)}`, genre: "drama", durationMinutes: 100 })
  if (movie.status !== 201) throw new Error(`movie: ${movie.status} ${JSON.stringify(movie.body)}`)
  const startsAt = new Date(Date.now() + 86_400_000).toISOString()
  const scheduled = await pollUntil(
    async () => {
      const r = await staff.post("/screenings", {
        movieId: movie.body.movieId,
        hallId: hall.body.hallId,
        startsAt,
        price: { amount: priceAmount, currency: "EUR" }
      })
      return r.status === 201 ? r : undefined
    },
    { timeoutMs: 20_000, message: "the screening to be scheduled" }
  )
  return { cinemaId: cinema.body.cinemaId as string, hallId: hall.body.hallId as string, screeningId: scheduled.body.screeningId as string }
}

export const registerCustomer = async (api: Api, name: string): Promise<Api> => {
  const email = `${name}-${crypto.randomUUID().slice(0, 8)}@e2e.test`
  const password = "correct horse battery"
  const reg = await api.post("/users/register", { fullName: name, email, password })
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`)
  const login = await api.post("/users/login", { email, password })
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`)
  return api.as(login.body.token)
}

export const CARD_OK = { number: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" }

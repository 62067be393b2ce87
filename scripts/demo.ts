// `bun run demo`: seeds a cinema with two halls, three movies and a week of screenings through the API,
// as the development staff account. Idempotent: what already exists (by name, title, hall and time) is kept.
import { ApiClient, DEFAULT_API, normaliseApi } from "../cli/src/ApiClient.ts"
import { fetchAll } from "../cli/src/context.ts"
import { CliError } from "../cli/src/errors.ts"
import type { Cinema, CinemaHall, Hall, Movie, Screening, User } from "../cli/src/shapes.ts"

// The users service ensures this staff account at start; in development its defaults are these
// (services/users/src/domain/accounts.ts). Set ADMIN_EMAIL / ADMIN_PASSWORD when you chose others.
const ADMIN_EMAIL = process.env.ADMIN_EMAIL || "admin@bookaticket.local"
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD || "bookaticket-dev-admin"
const DAYS = 7

const CINEMA = { name: "Bookaticket Central", address: "1 Projection Way, Springfield" }
const HALLS = [
  { name: "Hall 1", rows: "ABCDEFGHIJ".split("").map((label) => ({ label, seats: 14 })) },
  { name: "Hall 2", rows: "ABCDEF".split("").map((label) => ({ label, seats: 10 })) },
]
const MOVIES = [
  { title: "Arrival", genre: "sci-fi", durationMinutes: 116 },
  { title: "The Grand Budapest Hotel", genre: "comedy", durationMinutes: 99 },
  { title: "Spirited Away", genre: "animation", durationMinutes: 125 },
]
/** Start times (UTC) per hall; each slot leaves room for the longest movie plus cleaning. */
const SLOTS: Record<string, { hour: number; minute: number }[]> = {
  "Hall 1": [{ hour: 15, minute: 0 }, { hour: 18, minute: 0 }, { hour: 21, minute: 0 }],
  "Hall 2": [{ hour: 16, minute: 0 }, { hour: 19, minute: 30 }],
}
const PRICES: Record<string, number> = { "Hall 1": 1250, "Hall 2": 990 }

const say = (line: string) => console.log(line)
const base = normaliseApi(process.env.BOOKATICKET_API ?? DEFAULT_API)

const main = async (): Promise<void> => {
  const anonymous = new ApiClient(base, undefined)
  const { token, user } = await anonymous.request<{ token: string; user: User }>("POST", "/users/login", {
    body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    auth: "none",
  })
  const api = new ApiClient(base, token)
  say(`seeding ${base} as ${user.email} (${user.role})`)

  let cinema = (await fetchAll<Cinema>(api, "/cinemas")).find((c) => c.name === CINEMA.name)
  if (cinema === undefined) {
    cinema = await api.request<Cinema>("POST", "/cinemas", { body: CINEMA })
    say(`  created cinema ${cinema.name}`)
  } else say(`  cinema ${cinema.name} exists`)

  const halls: CinemaHall[] = []
  for (const wanted of HALLS) {
    let hall: CinemaHall | undefined = cinema.halls.find((h) => h.name === wanted.name)
    if (hall === undefined) {
      hall = await api.request<Hall>("POST", `/cinemas/${cinema.cinemaId}/halls`, { body: wanted })
      say(`  created ${hall.name} (${hall.capacity} seats)`)
    } else say(`  ${hall.name} exists`)
    halls.push(hall)
  }

  const existingMovies = await fetchAll<Movie>(api, "/movies")
  const movies: Movie[] = []
  for (const wanted of MOVIES) {
    let movie = existingMovies.find((m) => m.title === wanted.title)
    if (movie === undefined) {
      movie = await api.request<Movie>("POST", "/movies", { body: wanted })
      say(`  created movie ${movie.title}`)
    } else say(`  movie ${movie.title} exists`)
    movies.push(movie)
  }

  // Screenings from tomorrow (UTC) for a week; what is already scheduled in a slot is left alone.
  const firstDay = new Date()
  firstDay.setUTCHours(0, 0, 0, 0)
  firstDay.setUTCDate(firstDay.getUTCDate() + 1)
  const lastDay = new Date(firstDay.getTime() + DAYS * 86_400_000)
  const scheduled = await fetchAll<Screening>(api, "/screenings", {
    cinemaId: cinema.cinemaId,
    from: firstDay.toISOString(),
    to: lastDay.toISOString(),
  })
  const taken = new Set(scheduled.map((s) => `${s.hallId}@${Date.parse(s.startsAt)}`))

  let created = 0
  let kept = 0
  let slotNumber = 0
  for (let day = 0; day < DAYS; day++) {
    for (const hall of halls) {
      for (const slot of SLOTS[hall.name] ?? []) {
        const movie = movies[slotNumber++ % movies.length] as Movie
        const startsAt = new Date(firstDay.getTime() + day * 86_400_000 + (slot.hour * 60 + slot.minute) * 60_000)
        if (taken.has(`${hall.hallId}@${startsAt.getTime()}`)) {
          kept++
          continue
        }
        const outcome = await schedule(api, {
          movieId: movie.movieId,
          hallId: hall.hallId,
          startsAt: startsAt.toISOString(),
          price: { amount: PRICES[hall.name] ?? 1000, currency: "EUR" },
        })
        if (outcome === "created") created++
        else kept++
      }
    }
  }
  say(`  screenings: ${created} scheduled, ${kept} already there`)

  say(`
Ready. Try it (the front door is ${base}):

  bun run cli screenings list
  bun run cli screenings seats <screeningId>           # the seat map

As a customer:
  bun run cli register                                 # asks for name, e-mail and password
  bun run cli book <screeningId> --seats E5,E6 --wait  # reserved until …, or why not
  bun run cli pay <bookingId> --card 4242424242424242  # 4000000000000002 is declined
  bun run cli tickets

As staff (${ADMIN_EMAIL}):
  bun run cli login --email ${ADMIN_EMAIL}
  bun run cli movies add --title "Dune" --genre sci-fi --duration 155
  bun run cli screenings cancel <screeningId>
  bun run cli dlq list --service booking

Every command has --help with examples; add --json for scripts.`)
}

/**
 * Schedules one screening. The screenings service learns of new halls and movies through events,
 * so right after creating them it may not know them yet (422 unknown_hall / unknown_movie): retry.
 */
const schedule = async (api: ApiClient, body: object): Promise<"created" | "busy"> => {
  const deadline = Date.now() + 30_000
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      await api.request("POST", "/screenings", { body })
      return "created"
    } catch (error) {
      if (error instanceof CliError && error.code === "hall_busy") return "busy"
      const notYet = error instanceof CliError && (error.code === "unknown_hall" || error.code === "unknown_movie")
      if (!notYet || Date.now() > deadline) throw error
      await Bun.sleep(delay)
    }
  }
}

try {
  await main()
} catch (error) {
  if (error instanceof CliError) {
    const hint = error.code === "invalid_credentials" ? " (set ADMIN_EMAIL and ADMIN_PASSWORD to the staff account the users service was started with)" : ""
    console.error(`demo: ${error.message}${hint}`)
    process.exit(error.exitCode)
  }
  throw error
}

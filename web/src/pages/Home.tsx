// Screenings to choose from, filtered by day, cinema and movie, each named and timed as the cinema does.
import { useEffect, useMemo, useState } from "preact/hooks"
import { get } from "../api.ts"
import { Link } from "../components/Link.tsx"
import { cinemaName, hallName, localDay, localTime, localZone, money, movieTitle, plural, screeningName } from "../format.ts"
import { sentence } from "../sentences.ts"
import type { Page, Screening } from "../views.ts"

const MAX_PAGES = 10

const loadScreenings = async (): Promise<Screening[] | string> => {
  const all: Screening[] = []
  let cursor: string | null = null
  for (let i = 0; i < MAX_PAGES; i++) {
    const reply: Awaited<ReturnType<typeof get<Page<Screening>>>> = await get<Page<Screening>>(`/screenings?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
    if (!reply.ok) return sentence(reply.problem)
    all.push(...reply.body.items)
    cursor = reply.body.nextCursor
    if (!cursor) break
  }
  return all
}

export function Home() {
  const [screenings, setScreenings] = useState<Screening[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [day, setDay] = useState("")
  const [cinema, setCinema] = useState("")
  const [movie, setMovie] = useState("")

  useEffect(() => {
    let live = true
    void loadScreenings().then((result) => {
      if (!live) return
      if (typeof result === "string") setError(result)
      else setScreenings(result.filter((s) => s.status === "scheduled"))
    })
    return () => {
      live = false
    }
  }, [])

  const options = useMemo(() => {
    const days = new Map<string, string>()
    const cinemas = new Map<string, string>()
    const movies = new Map<string, string>()
    for (const s of screenings ?? []) {
      const d = localDay(s.startsAt, s.cinema.timeZone)
      days.set(d, d)
      cinemas.set(s.cinema.cinemaId, cinemaName(s))
      movies.set(s.movie.movieId, movieTitle(s))
    }
    const byName = (a: [string, string], b: [string, string]) => a[1].localeCompare(b[1])
    return { days: [...days.entries()], cinemas: [...cinemas.entries()].sort(byName), movies: [...movies.entries()].sort(byName) }
  }, [screenings])

  const shown = (screenings ?? []).filter(
    (s) =>
      (day === "" || localDay(s.startsAt, s.cinema.timeZone) === day) &&
      (cinema === "" || s.cinema.cinemaId === cinema) &&
      (movie === "" || s.movie.movieId === movie),
  )

  return (
    <section aria-labelledby="screenings-heading">
      <h1 id="screenings-heading">Screenings</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-day">Day</label>
          <select id="filter-day" value={day} onChange={(e) => setDay(e.currentTarget.value)}>
            <option value="">Any day</option>
            {options.days.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-cinema">Cinema</label>
          <select id="filter-cinema" value={cinema} onChange={(e) => setCinema(e.currentTarget.value)}>
            <option value="">Any cinema</option>
            {options.cinemas.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-movie">Movie</label>
          <select id="filter-movie" value={movie} onChange={(e) => setMovie(e.currentTarget.value)}>
            <option value="">Any movie</option>
            {options.movies.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </div>
      </form>
      {error ? <p class="error">{error}</p> : null}
      {screenings === null && !error ? <p>Loading screenings…</p> : null}
      {screenings !== null && shown.length === 0 ? (
        <p>{screenings.length === 0 ? "No screenings are on sale right now." : "No screenings match these filters."}</p>
      ) : null}
      <ul class="screenings">
        {shown.map((s) => (
          <li key={s.screeningId} class="screening">
            <Link href={`/show/${s.screeningId}`} aria-label={screeningName(s)}>
              <span class="title">{movieTitle(s)}</span>
              <span class="when">
                {localDay(s.startsAt, s.cinema.timeZone)}, {localTime(s.startsAt, s.cinema.timeZone)}{" "}
                {localZone(s.startsAt, s.cinema.timeZone)}
              </span>
              <span class="where">
                {cinemaName(s)}, {hallName(s)}
              </span>
            </Link>
            <span class="seats-left">
              {s.seatsAvailable === 0 ? "Sold out" : `${plural(s.seatsAvailable, "seat", "seats")} left`} ·{" "}
              {money(s.price.amount, s.price.currency)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}

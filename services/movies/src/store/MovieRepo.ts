// SQL over movies. Synchronous; writes run inside a store transaction.
import type { MovieId } from "@bat/contracts"
import type { Db } from "@bat/store"

export interface MovieRecord {
  readonly movieId: MovieId
  readonly title: string
  readonly genre: string
  readonly durationMinutes: number
  readonly revision: number
}

interface Row {
  movie_id: string
  title: string
  genre: string
  duration_minutes: number
  revision: number
}

const toMovie = (r: Row): MovieRecord => ({
  movieId: r.movie_id as MovieId,
  title: r.title,
  genre: r.genre,
  durationMinutes: r.duration_minutes,
  revision: r.revision
})

const COLUMNS = "movie_id, title, genre, duration_minutes, revision"

export const makeMovieRepo = (db: Db) => {
  const live = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM movies WHERE movie_id = ? AND removed_at IS NULL`)
  const page = db.prepare<[string, number], Row>(
    `SELECT ${COLUMNS} FROM movies WHERE removed_at IS NULL AND movie_id > ? ORDER BY movie_id LIMIT ?`
  )
  const insert = db.prepare(
    "INSERT INTO movies (movie_id, title, genre, duration_minutes, revision, created_at) VALUES (?, ?, ?, ?, 1, ?)"
  )
  const update = db.prepare<[string | null, string | null, number | null, string], Row>(
    `UPDATE movies SET title = COALESCE(?, title), genre = COALESCE(?, genre),
       duration_minutes = COALESCE(?, duration_minutes), revision = revision + 1
     WHERE movie_id = ? AND removed_at IS NULL
     RETURNING ${COLUMNS}`
  )
  const tombstone = db.prepare("UPDATE movies SET removed_at = ? WHERE movie_id = ? AND removed_at IS NULL")
  return {
    findLive: (movieId: string): MovieRecord | undefined => {
      const r = live.get(movieId)
      return r === undefined ? undefined : toMovie(r)
    },
    /** Live movies after `afterId` in id (creation) order. */
    page: (afterId: string, limit: number): Array<MovieRecord> => page.all(afterId, limit).map(toMovie),
    insert: (m: MovieRecord, now: number): void => {
      insert.run(m.movieId, m.title, m.genre, m.durationMinutes, now)
    },
    /** The updated movie with its revision raised by one, or undefined if none is live. */
    update: (
      movieId: string,
      patch: { readonly title?: string; readonly genre?: string; readonly durationMinutes?: number }
    ): MovieRecord | undefined => {
      const r = update.get(patch.title ?? null, patch.genre ?? null, patch.durationMinutes ?? null, movieId)
      return r === undefined ? undefined : toMovie(r)
    },
    /** True if a live movie was tombstoned. */
    tombstone: (movieId: string, now: number): boolean => tombstone.run(now, movieId).changes === 1
  }
}
export type MovieRepo = ReturnType<typeof makeMovieRepo>

// Movie use cases: list, show, add, update, remove (tombstone).
import { Ids, MoviesApi } from "@bat/contracts"
import { eventMessage } from "@bat/messaging"
import { Store, type StoreError } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { MovieNotFound } from "../domain/errors.ts"
import { makeMovieRepo, type MovieRecord } from "../store/MovieRepo.ts"

type Movie = MoviesApi.Movie

export interface MovieCatalogShape {
  /** Live movies in id order, `limit` of them after the movie id `after`; `next` continues after this page. */
  readonly list: (page: {
    readonly limit: number
    readonly after: string | undefined
  }) => Effect.Effect<{ items: Array<Movie>; next: string | null }>
  readonly get: (movieId: string) => Effect.Effect<Movie, MovieNotFound>
  readonly add: (input: MoviesApi.AddMovieRequest, requestId: string) => Effect.Effect<Movie, StoreError>
  readonly update: (
    movieId: string,
    patch: MoviesApi.UpdateMovieRequest,
    requestId: string
  ) => Effect.Effect<Movie, MovieNotFound | StoreError>
  readonly remove: (movieId: string, requestId: string) => Effect.Effect<void, MovieNotFound | StoreError>
}

const notFound = (movieId: string) => new MovieNotFound({ movieId, message: "No such movie." })

const toMovie = (m: MovieRecord): Movie => ({ ...m })

const make = Effect.gen(function* () {
  const store = yield* Store
  const ids = yield* Ids
  const repo = makeMovieRepo(store.db)

  const list = Effect.fn("MovieCatalog.list")(function* ({ limit, after }: { readonly limit: number; readonly after: string | undefined }) {
    const rows = repo.page(after ?? "", limit + 1)
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    return {
      items: page.map(toMovie),
      next: rows.length > limit && last !== undefined ? last.movieId : null
    }
  })

  const get = Effect.fn("MovieCatalog.get")(function* (movieId: string) {
    const movie = repo.findLive(movieId)
    if (movie === undefined) return yield* notFound(movieId)
    return toMovie(movie)
  })

  const add = Effect.fn("MovieCatalog.add")(function* (input: MoviesApi.AddMovieRequest, requestId: string) {
    const now = yield* Clock.currentTimeMillis
    const movie: MovieRecord = { movieId: ids.next() as MovieRecord["movieId"], ...input, revision: 1 }
    yield* store.transaction(
      Effect.sync(() => {
        repo.insert(movie, now)
        store.appendOutbox([eventMessage("movies", "MovieAdded", movie, { correlationId: requestId })])
      })
    )
    return toMovie(movie)
  })

  const update = Effect.fn("MovieCatalog.update")(function* (
    movieId: string,
    patch: MoviesApi.UpdateMovieRequest,
    requestId: string
  ) {
    const updated = yield* store.transaction(
      Effect.gen(function* () {
        const movie = repo.update(movieId, patch)
        if (movie === undefined) return yield* notFound(movieId)
        store.appendOutbox([eventMessage("movies", "MovieUpdated", movie, { correlationId: requestId })])
        return movie
      })
    )
    return toMovie(updated)
  })

  const remove = Effect.fn("MovieCatalog.remove")(function* (movieId: string, requestId: string) {
    const now = yield* Clock.currentTimeMillis
    yield* store.transaction(
      Effect.gen(function* () {
        const movie = repo.findLive(movieId)
        if (movie === undefined || !repo.tombstone(movieId, now)) return yield* notFound(movieId)
        store.appendOutbox([eventMessage("movies", "MovieRemoved", { movieId: movie.movieId }, { correlationId: requestId })])
      })
    )
  })

  return MovieCatalog.of({ list, get, add, update, remove })
})

export class MovieCatalog extends Context.Service<MovieCatalog, MovieCatalogShape>()("movies/app/MovieCatalog") {
  static readonly layer = Layer.effect(MovieCatalog, make)
}

// Cinema and hall use cases: list, show, create, update, delete (tombstone), add a hall.
import { CinemasApi, Ids } from "@bat/contracts"
import { eventMessage } from "@bat/messaging"
import { Store, type StoreError } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { CinemasSettings } from "./CinemasSettings.ts"
import { CinemaNotFound, HallNameTaken, HallRowsDuplicated } from "../domain/errors.ts"
import { capacityOf, duplicateRowLabels } from "../domain/layout.ts"
import { makeCinemaRepo, type CinemaRecord, type HallRecord } from "../store/CinemaRepo.ts"

type Cinema = CinemasApi.Cinema
type Hall = CinemasApi.Hall

export interface CinemaCatalogShape {
  /** Live cinemas in id order, `limit` of them after the cinema id `after`; `next` continues after this page. */
  readonly list: (page: {
    readonly limit: number
    readonly after: string | undefined
  }) => Effect.Effect<{ items: Array<Cinema>; next: string | null }>
  readonly get: (cinemaId: string) => Effect.Effect<Cinema, CinemaNotFound>
  readonly create: (input: CinemasApi.CreateCinemaRequest, requestId: string) => Effect.Effect<Cinema, StoreError>
  readonly update: (
    cinemaId: string,
    patch: CinemasApi.UpdateCinemaRequest,
    requestId: string
  ) => Effect.Effect<Cinema, CinemaNotFound | StoreError>
  readonly remove: (cinemaId: string, requestId: string) => Effect.Effect<void, CinemaNotFound | StoreError>
  readonly addHall: (
    cinemaId: string,
    input: CinemasApi.CreateHallRequest,
    requestId: string
  ) => Effect.Effect<Hall, CinemaNotFound | HallNameTaken | HallRowsDuplicated | StoreError>
}

const notFound = (cinemaId: string) => new CinemaNotFound({ cinemaId, message: "No such cinema." })

const hallOf = (h: HallRecord): Hall => ({ hallId: h.hallId, cinemaId: h.cinemaId, name: h.name, rows: h.rows, capacity: h.capacity })

const withHalls = (c: CinemaRecord, halls: ReadonlyArray<HallRecord>): Cinema => ({
  cinemaId: c.cinemaId,
  name: c.name,
  address: c.address,
  timeZone: c.timeZone,
  revision: c.revision,
  halls: halls
    .filter((h) => h.cinemaId === c.cinemaId)
    .map((h) => ({ hallId: h.hallId, name: h.name, rows: h.rows, capacity: h.capacity }))
})

const cinemaEventData = (c: CinemaRecord) => ({
  cinemaId: c.cinemaId,
  revision: c.revision,
  name: c.name,
  address: c.address,
  timeZone: c.timeZone
})

const make = Effect.gen(function* () {
  const store = yield* Store
  const ids = yield* Ids
  /** The zone of a cinema created without one. */
  const { defaultTimeZone } = yield* CinemasSettings
  const repo = makeCinemaRepo(store.db)

  const list = Effect.fn("CinemaCatalog.list")(function* ({ limit, after }: { readonly limit: number; readonly after: string | undefined }) {
    const rows = repo.page(after ?? "", limit + 1)
    const page = rows.slice(0, limit)
    const halls = repo.hallsOf(page.map((c) => c.cinemaId))
    const last = page.at(-1)
    return {
      items: page.map((c) => withHalls(c, halls)),
      next: rows.length > limit && last !== undefined ? last.cinemaId : null
    }
  })

  const get = Effect.fn("CinemaCatalog.get")(function* (cinemaId: string) {
    const cinema = repo.findLive(cinemaId)
    if (cinema === undefined) return yield* notFound(cinemaId)
    return withHalls(cinema, repo.hallsOf([cinemaId]))
  })

  const create = Effect.fn("CinemaCatalog.create")(function* (input: CinemasApi.CreateCinemaRequest, requestId: string) {
    const now = yield* Clock.currentTimeMillis
    const cinema: CinemaRecord = {
      cinemaId: ids.next() as CinemaRecord["cinemaId"],
      name: input.name,
      address: input.address,
      timeZone: input.timeZone ?? defaultTimeZone,
      revision: 1
    }
    yield* store.transaction(
      Effect.sync(() => {
        repo.insert(cinema, now)
        store.appendOutbox([eventMessage("cinemas", "CinemaCreated", cinemaEventData(cinema), { correlationId: requestId })])
      })
    )
    return withHalls(cinema, [])
  })

  const update = Effect.fn("CinemaCatalog.update")(function* (
    cinemaId: string,
    patch: CinemasApi.UpdateCinemaRequest,
    requestId: string
  ) {
    const updated = yield* store.transaction(
      Effect.gen(function* () {
        const cinema = repo.update(cinemaId, patch)
        if (cinema === undefined) return yield* notFound(cinemaId)
        store.appendOutbox([eventMessage("cinemas", "CinemaUpdated", cinemaEventData(cinema), { correlationId: requestId })])
        return cinema
      })
    )
    return withHalls(updated, repo.hallsOf([cinemaId]))
  })

  const remove = Effect.fn("CinemaCatalog.remove")(function* (cinemaId: string, requestId: string) {
    const now = yield* Clock.currentTimeMillis
    yield* store.transaction(
      Effect.gen(function* () {
        const cinema = repo.findLive(cinemaId)
        if (cinema === undefined || !repo.tombstone(cinemaId, now)) return yield* notFound(cinemaId)
        store.appendOutbox([eventMessage("cinemas", "CinemaDeleted", { cinemaId: cinema.cinemaId }, { correlationId: requestId })])
      })
    )
  })

  const addHall = Effect.fn("CinemaCatalog.addHall")(function* (
    cinemaId: string,
    input: CinemasApi.CreateHallRequest,
    requestId: string
  ) {
    const repeated = duplicateRowLabels(input.rows)
    if (repeated.length > 0) {
      return yield* new HallRowsDuplicated({ labels: repeated, message: `Row labels must be distinct; repeated: ${repeated.join(", ")}.` })
    }
    const now = yield* Clock.currentTimeMillis
    return yield* store.transaction(
      Effect.gen(function* () {
        const cinema = repo.findLive(cinemaId)
        if (cinema === undefined) return yield* notFound(cinemaId)
        if (repo.hallNameTaken(cinema.cinemaId, input.name)) {
          return yield* new HallNameTaken({ cinemaId, name: input.name, message: "This cinema has a hall with that name already." })
        }
        const hall: HallRecord = {
          hallId: ids.next() as HallRecord["hallId"],
          cinemaId: cinema.cinemaId,
          name: input.name,
          rows: input.rows,
          capacity: capacityOf(input.rows)
        }
        repo.insertHall(hall, now)
        store.appendOutbox([eventMessage("cinemas", "HallCreated", { ...hall, rows: [...hall.rows] }, { correlationId: requestId })])
        return hallOf(hall)
      })
    )
  })

  return CinemaCatalog.of({ list, get, create, update, remove, addHall })
})

export class CinemaCatalog extends Context.Service<CinemaCatalog, CinemaCatalogShape>()("cinemas/app/CinemaCatalog") {
  static readonly layer = Layer.effect(CinemaCatalog, make)
}

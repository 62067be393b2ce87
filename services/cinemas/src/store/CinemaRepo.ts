// SQL over cinemas and halls. Synchronous; writes run inside a store transaction.
import type { CinemaId, HallId, RowLayout } from "@bat/contracts"
import type { Db } from "@bat/store"

export interface HallRecord {
  readonly hallId: HallId
  readonly cinemaId: CinemaId
  readonly name: string
  readonly rows: ReadonlyArray<RowLayout>
  readonly capacity: number
}

export interface CinemaRecord {
  readonly cinemaId: CinemaId
  readonly name: string
  readonly address: string
  readonly timeZone: string
  readonly revision: number
}

interface CinemaRow {
  cinema_id: string
  name: string
  address: string
  time_zone: string
  revision: number
}
interface HallRow {
  hall_id: string
  cinema_id: string
  name: string
  rows: string
  capacity: number
}

const toCinema = (r: CinemaRow): CinemaRecord => ({
  cinemaId: r.cinema_id as CinemaId,
  name: r.name,
  address: r.address,
  timeZone: r.time_zone,
  revision: r.revision
})
const toHall = (r: HallRow): HallRecord => ({
  hallId: r.hall_id as HallId,
  cinemaId: r.cinema_id as CinemaId,
  name: r.name,
  rows: JSON.parse(r.rows) as Array<RowLayout>,
  capacity: r.capacity
})

export const makeCinemaRepo = (db: Db) => {
  const live = db.prepare<[string], CinemaRow>(
    "SELECT cinema_id, name, address, time_zone, revision FROM cinemas WHERE cinema_id = ? AND deleted_at IS NULL"
  )
  const page = db.prepare<[string, number], CinemaRow>(
    `SELECT cinema_id, name, address, time_zone, revision FROM cinemas
     WHERE deleted_at IS NULL AND cinema_id > ? ORDER BY cinema_id LIMIT ?`
  )
  const hallsOf = db.prepare<[string], HallRow>(
    `SELECT hall_id, cinema_id, name, rows, capacity FROM halls
     WHERE cinema_id IN (SELECT value FROM json_each(?)) ORDER BY hall_id`
  )
  const insertCinema = db.prepare(
    "INSERT INTO cinemas (cinema_id, name, address, time_zone, revision, created_at) VALUES (?, ?, ?, ?, 1, ?)"
  )
  const update = db.prepare<[string | null, string | null, string | null, string], CinemaRow>(
    `UPDATE cinemas SET name = COALESCE(?, name), address = COALESCE(?, address), time_zone = COALESCE(?, time_zone),
       revision = revision + 1
     WHERE cinema_id = ? AND deleted_at IS NULL
     RETURNING cinema_id, name, address, time_zone, revision`
  )
  const tombstone = db.prepare("UPDATE cinemas SET deleted_at = ? WHERE cinema_id = ? AND deleted_at IS NULL")
  const hallNamed = db.prepare<[string, string], { hall_id: string }>(
    "SELECT hall_id FROM halls WHERE cinema_id = ? AND name = ? COLLATE NOCASE"
  )
  const insertHall = db.prepare(
    "INSERT INTO halls (hall_id, cinema_id, name, rows, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?)"
  )
  return {
    findLive: (cinemaId: string): CinemaRecord | undefined => {
      const r = live.get(cinemaId)
      return r === undefined ? undefined : toCinema(r)
    },
    /** Live cinemas after `afterId` in id (creation) order. */
    page: (afterId: string, limit: number): Array<CinemaRecord> => page.all(afterId, limit).map(toCinema),
    hallsOf: (cinemaIds: ReadonlyArray<string>): Array<HallRecord> => hallsOf.all(JSON.stringify(cinemaIds)).map(toHall),
    insert: (c: CinemaRecord, now: number): void => {
      insertCinema.run(c.cinemaId, c.name, c.address, c.timeZone, now)
    },
    /** The updated cinema with its revision raised by one, or undefined if none is live. */
    update: (
      cinemaId: string,
      patch: { readonly name?: string; readonly address?: string; readonly timeZone?: string }
    ): CinemaRecord | undefined => {
      const r = update.get(patch.name ?? null, patch.address ?? null, patch.timeZone ?? null, cinemaId)
      return r === undefined ? undefined : toCinema(r)
    },
    /** True if a live cinema was tombstoned. */
    tombstone: (cinemaId: string, now: number): boolean => tombstone.run(now, cinemaId).changes === 1,
    hallNameTaken: (cinemaId: string, name: string): boolean => hallNamed.get(cinemaId, name) !== undefined,
    insertHall: (h: HallRecord, now: number): void => {
      insertHall.run(h.hallId, h.cinemaId, h.name, JSON.stringify(h.rows), h.capacity, now)
    }
  }
}
export type CinemaRepo = ReturnType<typeof makeCinemaRepo>

// Opaque page cursors, one format for every list: `nextCursor` out, `?cursor=` back in, 422 `invalid_cursor`
// for anything else.
import { DEFAULT_LIMIT } from "@bat/contracts"
import { Option, Schema } from "effect"
import { HttpProblem } from "./HttpProblem.ts"

/** Longer than any cursor a list hands out; anything longer is refused before it is decoded. */
const MAX_CURSOR_LENGTH = 512
const BASE64URL = /^[A-Za-z0-9_-]+$/

export const invalidCursor = (): HttpProblem =>
  new HttpProblem({
    status: 422,
    code: "invalid_cursor",
    detail: "The cursor is not one this list handed out; start again without it.",
    errors: [{ path: "cursor", message: "Expected the nextCursor of a previous page of this list" }],
  })

/** `?limit=&cursor=` as a use case takes them: the limit with its default, and the key to continue after. */
export interface PageRequest<K> {
  readonly limit: number
  readonly after: K | undefined
}

export interface Cursor<K> {
  /** The cursor that continues after `key`. */
  readonly encode: (key: K) => string
  /**
   * The key a `?cursor=` names, undefined when there is none. Throws a 422 `invalid_cursor` HttpProblem
   * for a cursor this list did not hand out: not base64url, not its JSON, another list's, or a key that
   * does not decode.
   */
  readonly decode: (cursor: string | undefined) => K | undefined
  readonly request: (query: { readonly limit?: number | undefined; readonly cursor?: string | undefined }) => PageRequest<K>
  /** A use case's page (`next`: the key to continue after, null on the last page) as the list answers it. */
  readonly page: <Items>(page: { readonly items: Items; readonly next: K | null }) => { items: Items; nextCursor: string | null }
}

/**
 * The cursor of one list: base64url of the JSON `[list, key]`, the key encoded by `key`. The list's name
 * makes one list's cursor fail loudly on another instead of paging from a meaningless position.
 */
export const makeCursor = <K, E>(list: string, key: Schema.Codec<K, E>): Cursor<K> => {
  const payload = Schema.fromJsonString(Schema.Tuple([Schema.Literal(list), key]))
  const decodePayload = Schema.decodeUnknownOption(payload)
  const encodePayload = Schema.encodeSync(payload)

  const encode = (k: K) => Buffer.from(encodePayload([list, k]), "utf8").toString("base64url")

  const decode = (cursor: string | undefined): K | undefined => {
    if (cursor === undefined) return undefined
    if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw invalidCursor()
    const bytes = Buffer.from(cursor, "base64url")
    // Only the one spelling this list hands out; stray trailing bits mean the cursor was edited.
    if (bytes.toString("base64url") !== cursor) throw invalidCursor()
    const decoded = decodePayload(bytes.toString("utf8"))
    if (Option.isNone(decoded)) throw invalidCursor()
    return decoded.value[1]
  }

  return {
    encode,
    decode,
    request: (query) => ({ limit: query.limit ?? DEFAULT_LIMIT, after: decode(query.cursor) }),
    page: ({ items, next }) => ({ items, nextCursor: next === null ? null : encode(next) }),
  }
}

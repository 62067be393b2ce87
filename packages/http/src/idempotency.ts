// The Idempotency-Key header (book, pay): one rule for reading it and one line of documentation,
// used by every route that takes it. What a key remembers is the service's own (DESIGN §5).
import { IdempotencyKey } from "@bat/contracts"
import { Schema } from "effect"
import { HttpProblem } from "./HttpProblem.ts"
import { wireJsonSchema } from "./openapiDoc.ts"

const isIdempotencyKey = Schema.is(IdempotencyKey)

/** The request's key, if it sent one; a malformed key is 422 `invalid_input` naming the header. */
export const idempotencyKeyOf = (headers: Record<string, string | undefined>): string | undefined => {
  const key = headers["idempotency-key"]
  if (key === undefined) return undefined
  if (!isIdempotencyKey(key)) {
    throw new HttpProblem({
      status: 422,
      code: "invalid_input",
      detail: "The request headers are invalid.",
      errors: [{ path: "idempotency-key", message: "Expected 1 to 255 printable ASCII characters" }]
    })
  }
  return key
}

/** The header as an operation documents it. */
export const idempotencyKeyHeader = {
  name: "Idempotency-Key",
  description: "Makes a retry safe: the same key with the same body answers as the first request did (kept 24 h per user).",
  schema: wireJsonSchema(IdempotencyKey)
}

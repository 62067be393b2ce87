// The operators' routes every service has (`<prefix>/_ops/dlq`): parked messages, listed and replayed.
import { Schema } from "effect"
import { Limit } from "./common.ts"

/** A message parked in a service's dead-letter queue, as the messaging layer reads it and the DLQ route lists it. */
export const ParkedMessage = Schema.Struct({
  messageId: Schema.String,
  type: Schema.String,
  reason: Schema.String,
  error: Schema.String,
  attempts: Schema.Number,
  originalQueue: Schema.String,
  parkedAt: Schema.String,
  body: Schema.String.annotate({ description: "The message as it was parked (its first 4 000 characters)" })
})
export type ParkedMessage = typeof ParkedMessage.Type

export const ParkedQuery = Schema.Struct({ limit: Schema.optionalKey(Limit) })

export const ParkedList = Schema.Struct({
  items: Schema.Array(ParkedMessage),
  count: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})

export const ReplayBody = Schema.Struct({
  // An optional key, never `null`: left out means all (the document must not offer a `null` the decoder refuses).
  messageIds: Schema.optionalKey(
    Schema.Array(Schema.String).annotate({ description: "Ids of parked messages (their AMQP message ids); left out: all" })
  )
})

export const Replayed = Schema.Struct({ replayed: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) })

// The message envelope every event travels in (DESIGN §3).
import { Schema } from "effect"
import { IsoDateTime, Uuid, newId } from "./primitives.ts"

export const Envelope = Schema.Struct({
  id: Uuid,
  type: Schema.String.check(Schema.isMinLength(1)),
  version: Schema.Literal(1),
  occurredAt: IsoDateTime,
  source: Schema.String,
  correlationId: Uuid,
  causationId: Schema.NullOr(Uuid),
  data: Schema.Unknown
})
export type Envelope<D = unknown> = Omit<typeof Envelope.Type, "data"> & { readonly data: D }

export interface EnvelopeMeta {
  readonly source: string
  readonly correlationId: string
  readonly causationId?: string | null
  readonly occurredAt?: string
  readonly id?: string
}

export const makeEnvelope = <D>(type: string, data: D, meta: EnvelopeMeta): Envelope<D> => ({
  id: meta.id ?? newId(),
  type,
  version: 1,
  occurredAt: meta.occurredAt ?? new Date().toISOString(),
  source: meta.source,
  correlationId: meta.correlationId,
  causationId: meta.causationId ?? null,
  data
})

// What a route tells the OpenAPI document: summary, who may call it, its success and its problems.
import type { Schema } from "effect"
import { schema } from "./schema.ts"

/** Statuses a route may list problem codes under. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503

/** What a success body may be: JSON, an event stream, or an SVG image. */
export type SuccessContentType = "application/json" | "text/event-stream" | "image/svg+xml"

/** Who may call an operation. */
export type OperationAuth = "none" | "user" | "staff" | "owner"

export interface RequestHeaderDoc {
  readonly name: string
  readonly description: string
  readonly required?: boolean
  /** A JSON Schema for the value; a string by default. */
  readonly schema?: Record<string, unknown>
}

/** A response header an operation sends (e.g. `ETag`), by name. */
export type ResponseHeadersDoc = Readonly<Record<string, { readonly description: string; readonly schema?: Record<string, unknown> }>>

export interface OperationDoc {
  readonly summary: string
  readonly description?: string
  /** The service's own tag (its name) when left out. */
  readonly tags?: ReadonlyArray<string>
  /** Derived from the method and path when left out. */
  readonly operationId?: string
  /** "none" (public), "user" (any logged-in user), "staff" (staff only), "owner" (user; 404 for others' resources) */
  readonly auth: OperationAuth
  readonly ok: {
    readonly status: 200 | 201 | 202 | 204
    /** The success body (its encoded, on-the-wire form). None for 204. */
    readonly schema?: Schema.Top
    readonly description?: string
    readonly contentType?: SuccessContentType
    /** Headers the success sends that a client may use (e.g. `ETag`). */
    readonly headers?: ResponseHeadersDoc
  }
  /** Problem codes this operation can answer, by status, besides the automatic ones. */
  readonly problems?: Partial<Record<ProblemStatus, ReadonlyArray<string>>>
  /**
   * Extension members some of a status's problems carry (RFC 9457 §3.2), as a struct of optional keys:
   * e.g. `409: Schema.Struct({ admittedAt: Schema.optionalKey(IsoTimestamp) })`.
   */
  readonly problemMembers?: Partial<Record<ProblemStatus, Schema.Top>>
  /** Request headers the route reads (e.g. `Idempotency-Key`, `Last-Event-ID`). */
  readonly requestHeaders?: ReadonlyArray<RequestHeaderDoc>
  /** Other answers that are not problems, by status (e.g. `/ready`'s 503 with its checks). */
  readonly responses?: Readonly<Record<number, OtherResponseDoc>>
}

export interface OtherResponseDoc {
  readonly description: string
  readonly schema?: Schema.Top
  readonly contentType?: string
  readonly headers?: ResponseHeadersDoc
}

/** The key under which an operation's doc travels through Elysia's `detail` to the document builder. */
export const OPERATION_DOC_KEY = "x-bat"

/** What the document builder reads back from `detail[OPERATION_DOC_KEY]`. */
export interface OperationDocData {
  readonly auth: OperationAuth
  readonly ok: {
    readonly status: 200 | 201 | 202 | 204
    readonly jsonSchema?: Record<string, unknown>
    readonly description?: string
    readonly contentType: SuccessContentType
    readonly headers?: ResponseHeadersDoc
  }
  readonly problems: Partial<Record<ProblemStatus, ReadonlyArray<string>>>
  readonly problemMembers?: Partial<Record<ProblemStatus, Record<string, unknown>>>
  readonly requestHeaders: ReadonlyArray<RequestHeaderDoc>
  readonly responses?: Readonly<
    Record<
      number,
      {
        readonly description: string
        readonly jsonSchema?: Record<string, unknown>
        readonly contentType?: string
        readonly headers?: ResponseHeadersDoc
      }
    >
  >
}

/** The JSON Schema (draft 2020-12) of a schema's encoded side: what travels on the wire. */
export const wireJsonSchema = (s: Schema.Top): Record<string, unknown> => {
  const standard = schema(s as Schema.Codec<unknown, unknown>)
  return standard["~standard"].jsonSchema.input({ target: "draft-2020-12" }) as Record<string, unknown>
}

/**
 * Route options for the document and the `auth` macro: spread into the route's options,
 * `{ body: schema(X), ...operation({ summary, auth: "staff", ok: { status: 201, schema: Y } }) }`.
 */
export const operation = <A extends OperationAuth>(
  doc: OperationDoc & { readonly auth: A },
): { auth: A; detail: Record<string, unknown> } => {
  const data: OperationDocData = {
    auth: doc.auth,
    ok: {
      status: doc.ok.status,
      ...(doc.ok.schema === undefined ? {} : { jsonSchema: wireJsonSchema(doc.ok.schema) }),
      ...(doc.ok.description === undefined ? {} : { description: doc.ok.description }),
      contentType: doc.ok.contentType ?? "application/json",
      ...(doc.ok.headers === undefined ? {} : { headers: doc.ok.headers }),
    },
    problems: doc.problems ?? {},
    ...(doc.problemMembers === undefined
      ? {}
      : {
          problemMembers: Object.fromEntries(
            Object.entries(doc.problemMembers).map(([status, members]) => [status, wireJsonSchema(members as Schema.Top)]),
          ),
        }),
    requestHeaders: doc.requestHeaders ?? [],
    ...(doc.responses === undefined
      ? {}
      : {
          responses: Object.fromEntries(
            Object.entries(doc.responses).map(([status, r]) => [
              status,
              {
                description: r.description,
                ...(r.schema === undefined ? {} : { jsonSchema: wireJsonSchema(r.schema) }),
                ...(r.contentType === undefined ? {} : { contentType: r.contentType }),
                ...(r.headers === undefined ? {} : { headers: r.headers }),
              },
            ]),
          ),
        }),
  }
  return {
    // The `auth` macro's key (packages/http/src/authorize.ts): the same declaration enforces what it documents.
    auth: doc.auth,
    detail: {
      summary: doc.summary,
      ...(doc.description === undefined ? {} : { description: doc.description }),
      ...(doc.tags === undefined ? {} : { tags: [...doc.tags] }),
      ...(doc.operationId === undefined ? {} : { operationId: doc.operationId }),
      ...(doc.auth === "none" ? {} : { security: [{ bearer: [] }] }),
      [OPERATION_DOC_KEY]: data,
    },
  }
}

// Route authorization, declared once: `...operation({ auth: "staff", ... })` both documents the route's security
// and, through this macro, enforces it. The macro authenticates (401, 503 `auth_unavailable`; a revoked user's
// token is refused by the `Auth` the service boots with, packages/http/src/revocation.ts), checks the role (403
// `forbidden` for "staff") and hands the handler the `principal`. It does so while transforming, before params,
// query or body are validated: a caller without the right learns nothing about what a valid request looks like.
// It also marks the route's `detail`, and the document builder refuses a route whose documented auth no macro
// enforces, so the two cannot disagree.
import { Elysia } from "elysia"
import { requireRole, type Auth, type Principal } from "./auth.ts"
import type { OperationAuth } from "./openapiDoc.ts"

/** Where the macro records, in a route's `detail`, the auth it enforces (read back by the document builder). */
export const ENFORCED_AUTH_KEY = "x-bat-enforced-auth"

/**
 * The `auth` macro: `new Elysia({ prefix }).use(authorize(ctx.auth))`, then each route spreads `operation({ auth })`.
 * - "none": public; no principal.
 * - "user": any logged-in user (401 otherwise).
 * - "owner": any logged-in user; the use case answers 404 for a resource of someone else's (it needs the resource).
 * - "staff": staff only (403 `forbidden` for a customer).
 */
export const authorize = (auth: Auth) => {
  // The principal found while transforming, handed over by `resolve` (after validation) with its type.
  const principals = new WeakMap<Request, Principal>()
  return new Elysia().macro({
    auth: (level: OperationAuth) => ({
      detail: { [ENFORCED_AUTH_KEY]: level } as Record<string, unknown>,
      ...(level === "none"
        ? {}
        : {
            async transform({ headers, request }: { readonly headers: Record<string, string | undefined>; readonly request: Request }) {
              const principal = await auth.authenticate(headers)
              principals.set(request, level === "staff" ? requireRole(principal, "staff") : principal)
            },
            resolve({ request }: { readonly request: Request }): { readonly principal: Principal } {
              const principal = principals.get(request)
              if (principal === undefined) throw new Error("the auth macro's transform did not run")
              return { principal }
            },
          }),
    }),
  })
}

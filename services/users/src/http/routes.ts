// HTTP routes of the users service: decode, call a use case, encode.
import { UsersApi } from "@bat/contracts"
import { authorize, HttpProblem, operation, requestClientAddress, schema, tooManyRequests, type ServiceContext, type Verdict } from "@bat/http"
import { Effect } from "effect"
import { Elysia } from "elysia"
import { Accounts } from "../app/Accounts.ts"
import { TokenIssuer } from "../app/TokenIssuer.ts"
import { normaliseEmail } from "../domain/accounts.ts"
import { usersLimits } from "./limits.ts"

const tags = ["users"]

// The users service verifies tokens with its own keys, so no route here can answer 503 auth_unavailable.
export const routes = (ctx: ServiceContext<Accounts | TokenIssuer>) => {
  const limits = usersLimits(ctx.config.env)
  const refuse = (verdict: Verdict, detail: string) => {
    if (!verdict.ok) throw tooManyRequests(verdict.retryAfterMs, detail)
  }
  return new Elysia({ prefix: "/users" })
    .use(authorize(ctx.auth))
    .post(
      "/register",
      async ({ body, set, request, server }) => {
        const address = requestClientAddress(request, server, limits.trusted)
        refuse(limits.register.take(address), "Too many registrations from your address; try again later.")
        const user = await ctx.run(Accounts.use((a) => a.register(body, ctx.ids.next())))
        set.status = 201
        return user
      },
      {
        body: schema(UsersApi.RegisterRequest),
        response: { 201: schema(UsersApi.User) },
        ...operation({
          summary: "Register a customer account",
          description: "The e-mail is stored lower-cased; one live account per address.",
          tags,
          auth: "none",
          ok: { status: 201, schema: UsersApi.User, description: "The new account (role `customer`)." },
          problems: { 409: ["email_taken"], 429: ["rate_limited"] }
        })
      }
    )
    .post(
      "/login",
      async ({ body, request, server }) => {
        // Refused before the password is hashed: a limited attempt costs no CPU (DESIGN §17).
        const address = requestClientAddress(request, server, limits.trusted)
        const account = normaliseEmail(body.email)
        refuse(limits.loginAddress.attempt(address), "Too many failed log-ins from your address; try again later.")
        // From where the owner logged in before, only that address's failures count against the account.
        const accountLimit = limits.known.has(account, address) ? limits.loginKnownAddress : limits.loginAccount
        const accountKey = accountLimit === limits.loginAccount ? account : `${account} ${address}`
        const byAccount = accountLimit.attempt(accountKey)
        if (!byAccount.ok) {
          limits.loginAddress.succeeded(address, "uncount")
          refuse(byAccount, "Too many failed log-ins for this account; try again later.")
        }
        try {
          const answer = await ctx.run(Accounts.use((a) => a.login(body, ctx.ids.next())))
          accountLimit.succeeded(accountKey, "reset")
          limits.loginAddress.succeeded(address, "uncount")
          limits.known.add(account, address)
          return answer
        } catch (error) {
          // Only a wrong e-mail or password counts as a failure.
          if (!(error instanceof HttpProblem && error.code === "invalid_credentials")) {
            accountLimit.succeeded(accountKey, "uncount")
            limits.loginAddress.succeeded(address, "uncount")
          }
          throw error
        }
      },
      {
        body: schema(UsersApi.LoginRequest),
        response: { 200: schema(UsersApi.LoginResponse) },
        ...operation({
          summary: "Log in: a bearer token and the user",
          description:
            "A wrong e-mail and a wrong password get the same answer, 401 `invalid_credentials`. After a few failures " +
            "in a row for one e-mail (or many from one address) each further attempt must wait, longer each time, " +
            "then the e-mail is locked for a cool-down: 429 `rate_limited` with `Retry-After`, without checking the " +
            "password. After the cool-down the right password gets in again.",
          tags,
          auth: "none",
          ok: { status: 200, schema: UsersApi.LoginResponse, description: "An access token and the account it belongs to." },
          problems: { 401: ["invalid_credentials"], 429: ["rate_limited"] }
        })
      }
    )
    .get(
      "/me",
      async ({ principal: caller }) => {
        return ctx.run(Accounts.use((a) => a.me(caller.userId)))
      },
      {
        response: { 200: schema(UsersApi.User) },
        ...operation({
          summary: "The caller's account",
          tags,
          auth: "user",
          ok: { status: 200, schema: UsersApi.User },
          // A token that outlived its account (unregistered since it was issued).
          problems: { 404: ["user_not_found"] }
        })
      }
    )
    .delete(
      "/:userId/unregister",
      async ({ principal: caller, params, set }) => {
        await ctx.run(Accounts.use((a) => a.unregister(caller, params.userId, ctx.ids.next())))
        set.status = 204
      },
      {
        params: schema(UsersApi.UserParams),
        ...operation({
          summary: "Unregister an account (yourself, or anyone as staff)",
          description:
            "A customer may unregister only their own account (403 `forbidden` for another's, whether or not it exists); " +
            "staff may unregister anyone. An unknown, malformed or already unregistered id is 404 `user_not_found`.",
          tags,
          auth: "user",
          ok: { status: 204, description: "The account is unregistered; its open bookings are ended." },
          problems: { 403: ["forbidden"], 404: ["user_not_found"] }
        })
      }
    )
    .get(
      "/.well-known/jwks.json",
      async ({ set }) => {
        set.headers["cache-control"] = "public, max-age=300"
        // jose types a key set loosely; the response schema checks each key is the Ed25519 one published.
        return ctx.run(TokenIssuer.use((t) => Effect.succeed(t.jwks as UsersApi.Jwks)))
      },
      {
        response: { 200: schema(UsersApi.Jwks) },
        ...operation({
          summary: "Public keys that verify access tokens",
          description: "A JSON Web Key Set (RFC 7517) of Ed25519 keys; cacheable for 5 minutes. Refetch on an unknown `kid`.",
          tags,
          auth: "none",
          ok: { status: 200, schema: UsersApi.Jwks }
        })
      }
    )
}

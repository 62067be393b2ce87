// HTTP routes of the users service: decode, call a use case, encode.
import { newId, UsersApi } from "@bat/contracts"
import { operation, schema, type ServiceContext } from "@bat/http"
import { Effect } from "effect"
import { Elysia } from "elysia"
import { Accounts } from "../app/Accounts.ts"
import { TokenIssuer } from "../app/TokenIssuer.ts"

const tags = ["users"]

// The users service verifies tokens with its own keys, so no route here can answer 503 auth_unavailable.
export const routes = (ctx: ServiceContext<Accounts | TokenIssuer>) =>
  new Elysia({ prefix: "/users" })
    .post(
      "/register",
      async ({ body, set }) => {
        const user = await ctx.run(Accounts.use((a) => a.register(body, newId())))
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
          problems: { 409: ["email_taken"] }
        })
      }
    )
    .post("/login", ({ body }) => ctx.run(Accounts.use((a) => a.login(body, newId()))), {
      body: schema(UsersApi.LoginRequest),
      response: { 200: schema(UsersApi.LoginResponse) },
      ...operation({
        summary: "Log in: a bearer token and the user",
        description: "A wrong e-mail and a wrong password get the same answer, 401 `invalid_credentials`.",
        tags,
        auth: "none",
        ok: { status: 200, schema: UsersApi.LoginResponse, description: "An access token and the account it belongs to." },
        problems: { 401: ["invalid_credentials"] }
      })
    })
    .get(
      "/me",
      async ({ headers }) => {
        const caller = await ctx.auth.authenticate(headers)
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
      async ({ headers, params, set }) => {
        const caller = await ctx.auth.authenticate(headers)
        await ctx.run(Accounts.use((a) => a.unregister(caller, params.userId, newId())))
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

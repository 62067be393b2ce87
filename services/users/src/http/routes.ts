// HTTP routes of the users service: decode, call a use case, encode.
import { newId, UsersApi } from "@bat/contracts"
import { schema, type ServiceContext } from "@bat/http"
import { Effect } from "effect"
import { Elysia } from "elysia"
import { Accounts } from "../app/Accounts.ts"
import { TokenIssuer } from "../app/TokenIssuer.ts"

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
        detail: { summary: "Register a customer account", tags: ["users"] }
      }
    )
    .post("/login", ({ body }) => ctx.run(Accounts.use((a) => a.login(body, newId()))), {
      body: schema(UsersApi.LoginRequest),
      response: { 200: schema(UsersApi.LoginResponse) },
      detail: { summary: "Log in: a bearer token and the user", tags: ["users"] }
    })
    .get(
      "/me",
      async ({ headers }) => {
        const caller = await ctx.auth.authenticate(headers)
        return ctx.run(Accounts.use((a) => a.me(caller.userId)))
      },
      {
        response: { 200: schema(UsersApi.User) },
        detail: { summary: "The caller's account", tags: ["users"], security: [{ bearer: [] }] }
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
        detail: { summary: "Unregister an account (yourself, or anyone as staff)", tags: ["users"], security: [{ bearer: [] }] }
      }
    )
    .get(
      "/.well-known/jwks.json",
      async ({ set }) => {
        set.headers["cache-control"] = "public, max-age=300"
        return ctx.run(TokenIssuer.use((t) => Effect.succeed(t.jwks)))
      },
      { detail: { summary: "Public keys that verify access tokens", tags: ["users"] } }
    )

// login, logout, whoami and register: getting a token into the config file and out again.
import type { Command } from "commander"
import { clearConfig, configPath, writeConfig } from "../config.ts"
import { withContext, type CommandContext } from "../context.ts"
import { usageError } from "../errors.ts"
import { ask, askHidden, canPrompt, readStdin } from "../prompt.ts"
import type { LoginResponse, User } from "../shapes.ts"

interface CredentialOptions {
  readonly email?: string
  readonly passwordStdin?: boolean
}

const emailFrom = async (given: string | undefined): Promise<string> => {
  if (given !== undefined && given.trim() !== "") return given.trim()
  if (!canPrompt()) throw usageError("no terminal to ask for your e-mail; pass --email")
  const email = await ask("E-mail: ")
  if (email === "") throw usageError("an e-mail is required")
  return email
}

const passwordFrom = async (opts: CredentialOptions, confirm = false): Promise<string> => {
  if (opts.passwordStdin) {
    const password = await readStdin()
    if (password === "") throw usageError("--password-stdin: stdin was empty")
    return password
  }
  if (!canPrompt()) throw usageError("no terminal to ask for the password; pipe it in with --password-stdin")
  const password = await askHidden("Password: ")
  if (password === "") throw usageError("a password is required")
  if (confirm && (await askHidden("Password again: ")) !== password) throw usageError("the passwords do not match")
  return password
}

const logIn = async (ctx: CommandContext, email: string, password: string): Promise<User> => {
  const { token, user } = await ctx.api.request<LoginResponse>("POST", "/users/login", {
    body: { email, password },
    auth: "none",
  })
  writeConfig({ api: ctx.api.base, token, user })
  return user
}

const describe = (user: User): string => `${user.fullName} <${user.email}> (${user.role})`

export const registerAccountCommands = (program: Command): void => {
  program
    .command("login")
    .description("log in and store the access token in your config directory")
    .option("--email <email>", "your e-mail (asked for when omitted)")
    .option("--password-stdin", "read the password from stdin instead of asking")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket login
  $ bookaticket login --email admin@bookaticket.local
  $ printf '%s' "$PASSWORD" | bookaticket login --email ann@example.com --password-stdin`,
    )
    .action(
      withContext(async (ctx, opts: CredentialOptions) => {
        const email = await emailFrom(opts.email)
        const password = await passwordFrom(opts)
        const user = await logIn(ctx, email, password)
        ctx.out.data(user)
        ctx.out.success(`logged in as ${describe(user)}`)
        ctx.out.note(ctx.out.c.dim(`token stored in ${configPath()}`))
      }),
    )

  program
    .command("logout")
    .description("forget the stored access token")
    .addHelpText("after", "\nExample:\n  $ bookaticket logout")
    .action(
      withContext(async (ctx) => {
        const removed = clearConfig()
        ctx.out.data({ loggedOut: removed })
        ctx.out.success(removed ? "logged out" : "was not logged in")
      }),
    )

  program
    .command("whoami")
    .description("show who the stored token belongs to")
    .addHelpText("after", "\nExamples:\n  $ bookaticket whoami\n  $ bookaticket whoami --json")
    .action(
      withContext(async (ctx) => {
        const user = await ctx.api.request<User>("GET", "/users/me")
        ctx.out.data(user)
        ctx.out.fields([
          ["name", user.fullName],
          ["e-mail", user.email],
          ["role", user.role],
          ["user id", user.userId],
          ["api", ctx.api.base],
        ])
      }),
    )

  program
    .command("register")
    .description("create a customer account, then log in with it")
    .option("--name <fullName>", "your full name (asked for when omitted)")
    .option("--email <email>", "your e-mail (asked for when omitted)")
    .option("--password-stdin", "read the password (8+ characters) from stdin instead of asking")
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket register
  $ printf '%s' "$PASSWORD" | bookaticket register --name "Ann Lee" --email ann@example.com --password-stdin`,
    )
    .action(
      withContext(async (ctx, opts: CredentialOptions & { name?: string }) => {
        let fullName = opts.name?.trim()
        if (!fullName) {
          if (!canPrompt()) throw usageError("no terminal to ask for your name; pass --name")
          fullName = await ask("Full name: ")
          if (fullName === "") throw usageError("a name is required")
        }
        const email = await emailFrom(opts.email)
        const password = await passwordFrom(opts, true)
        const created = await ctx.api.request<User>("POST", "/users/register", {
          body: { fullName, email, password },
          auth: "none",
        })
        const user = await logIn(ctx, email, password)
        ctx.out.data(created)
        ctx.out.success(`registered and logged in as ${describe(user)}`)
      }),
    )
}

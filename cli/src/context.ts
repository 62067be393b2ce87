// What every command action gets: the API client (with the stored token), output, and global flags.
import type { Command } from "commander"
import { ApiClient, DEFAULT_API, normaliseApi } from "./ApiClient.ts"
import { readConfig, type StoredConfig } from "./config.ts"
import { Output } from "./Output.ts"

export interface GlobalOptions {
  readonly api?: string
  readonly json?: boolean
  readonly yes?: boolean
  readonly color?: boolean
}

export interface CommandContext {
  readonly api: ApiClient
  readonly out: Output
  readonly yes: boolean
  readonly config: StoredConfig
}

/** Where `--api`'s value came from (`env`, `cli`, `default`), asked of the command that declares it. */
const sourceOfApi = (command: Command): string | undefined => {
  for (let c: Command | null = command; c !== null; c = c.parent) {
    if (c.options.some((o) => o.attributeName() === "api")) return c.getOptionValueSource("api")
  }
  return undefined
}

export const contextOf = (command: Command): CommandContext => {
  const globals = command.optsWithGlobals<GlobalOptions>()
  const config = readConfig()
  // Named as the user gave it: the BOOKATICKET_API setting, or the --api option.
  const fromSetting = sourceOfApi(command) === "env"
  const base = normaliseApi(globals.api ?? DEFAULT_API, fromSetting ? "BOOKATICKET_API" : "--api")
  const out = new Output({ json: globals.json === true, ...(globals.color === false ? { colour: false } : {}) })
  return { api: new ApiClient(base, config.token), out, yes: globals.yes === true, config }
}

/** Wraps an action so it receives the context first; errors travel up to main's single handler. */
export const withContext =
  <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<void>) =>
  async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command
    await fn(contextOf(command), ...(args as A))
  }

export interface Page<T> {
  readonly items: ReadonlyArray<T>
  readonly nextCursor: string | null
}

/** Every page of a list, following `nextCursor` (for lookups such as "is there a cinema called X"). */
export const fetchAll = async <T>(
  api: ApiClient,
  path: string,
  query: Record<string, string | number | undefined> = {},
  auth: "required" | "optional" | "none" = "optional",
): Promise<T[]> => {
  const items: T[] = []
  let cursor: string | undefined
  for (let page = 0; page < 1000; page++) {
    const result = await api.request<Page<T>>("GET", path, { query: { ...query, limit: 200, cursor }, auth })
    items.push(...result.items)
    if (!result.nextCursor) break
    cursor = result.nextCursor
  }
  return items
}

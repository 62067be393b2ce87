// dlq list|replay: the parked (dead-lettered) messages of a consuming service, for operators (staff).
import type { Command } from "commander"
import { withContext } from "../context.ts"
import { usageError } from "../errors.ts"
import { formatTime } from "../Output.ts"
import { parsePositiveInt } from "../parse.ts"
import type { ParkedMessage } from "../shapes.ts"

/** The consuming services and the path prefix their operations routes live under. */
export const DLQ_PREFIXES: Record<string, string> = {
  screenings: "/screenings",
  booking: "/tickets",
  payments: "/payments",
  notifications: "/notifications",
}

export const dlqPath = (service: string): string => {
  const prefix = DLQ_PREFIXES[service]
  if (prefix === undefined) {
    throw usageError(`--service must be one of ${Object.keys(DLQ_PREFIXES).join(", ")}, not "${service}"`)
  }
  return `${prefix}/_ops/dlq`
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(",").filter(Boolean)]

export const registerDlqCommands = (program: Command): void => {
  const dlq = program
    .command("dlq")
    .description("list and replay messages a service parked in its dead-letter queue (staff)")
    .addHelpText(
      "after",
      `
Services with a dead-letter queue: ${Object.keys(DLQ_PREFIXES).join(", ")}.

Examples:
  $ bookaticket dlq list --service booking
  $ bookaticket dlq replay --service booking --id <messageId>`,
    )

  dlq
    .command("list")
    .description("list parked messages with the error that parked them")
    .requiredOption("--service <name>", `one of ${Object.keys(DLQ_PREFIXES).join(", ")}`)
    .option("--limit <n>", "how many to show (1-200, default 50)")
    .addHelpText("after", "\nExamples:\n  $ bookaticket dlq list --service booking\n  $ bookaticket dlq list --service payments --json")
    .action(
      withContext(async (ctx, opts: { service: string; limit?: string }) => {
        const path = dlqPath(opts.service)
        const limit = opts.limit === undefined ? undefined : parsePositiveInt(opts.limit, "--limit", 200)
        const result = await ctx.api.request<{ items: ParkedMessage[]; count: number }>("GET", path, { query: { limit } })
        ctx.out.data(result)
        ctx.out.table(
          ["message id", "type", "reason", "attempts", "parked", "error"],
          result.items.map((m) => [m.messageId, m.type, m.reason, m.attempts, formatTime(m.parkedAt), m.error.slice(0, 80)]),
        )
        ctx.out.line(`${result.count} message(s) parked in ${opts.service}.dlq`)
        if (result.count > 0) ctx.out.note(ctx.out.c.dim(`replay with: bookaticket dlq replay --service ${opts.service} [--id <messageId>]`))
      }),
    )

  dlq
    .command("replay")
    .description("send parked messages back to the service's inbox (all of them, or those given by --id)")
    .requiredOption("--service <name>", `one of ${Object.keys(DLQ_PREFIXES).join(", ")}`)
    .option("--id <messageId>", "replay only this message (repeatable, or comma-separated)", collect)
    .addHelpText(
      "after",
      "\nExamples:\n  $ bookaticket dlq replay --service booking\n  $ bookaticket dlq replay --service booking --id <id1> --id <id2>",
    )
    .action(
      withContext(async (ctx, opts: { service: string; id?: string[] }) => {
        const path = `${dlqPath(opts.service)}/replay`
        const body = opts.id === undefined ? {} : { messageIds: opts.id }
        const result = await ctx.api.request<{ replayed: number }>("POST", path, { body })
        ctx.out.data(result)
        ctx.out.success(`replayed ${result.replayed} message(s) to ${opts.service}.inbox`)
      }),
    )
}

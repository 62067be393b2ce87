// The command tree of `bookaticket` and the one place an error becomes a message and an exit code.
import { Command, CommanderError, Option } from "commander"
import { DEFAULT_API } from "./ApiClient.ts"
import { registerAccountCommands } from "./commands/account.ts"
import { registerCancelCommand } from "./commands/cancel.ts"
import { registerCheckinCommand } from "./commands/checkin.ts"
import { registerCinemaCommands } from "./commands/cinemas.ts"
import { registerCompletionCommand } from "./commands/completion.ts"
import { registerCustomerCommands } from "./commands/customer.ts"
import { registerDlqCommands } from "./commands/dlq.ts"
import { registerMovieCommands } from "./commands/movies.ts"
import { registerReportCommands } from "./commands/reports.ts"
import { registerScreeningCommands } from "./commands/screenings.ts"
import { CliError, EXIT_CODES_HELP, ExitCode } from "./errors.ts"
import { Output } from "./Output.ts"

export const buildProgram = (): Command => {
  const program = new Command("bookaticket")
    .description("Book a Ticket: manage cinemas, movies and screenings, and try booking from a terminal")
    .addOption(
      new Option("--api <url>", "the front door of the system").env("BOOKATICKET_API").default(DEFAULT_API),
    )
    .option("--json", "machine-readable output: JSON on stdout and nothing else")
    .option("-y, --yes", "do destructive actions (delete, remove, cancel) without asking")
    .option("--no-color", "no colours, even on a terminal")
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  $ bookaticket login                                   # staff or customer
  $ bookaticket cinemas list
  $ bookaticket screenings list --json | jq '.items[0]'
  $ bookaticket screenings seats <screeningId>
  $ bookaticket register && bookaticket book <screeningId> --seats A1,A2 --wait
  $ bookaticket pay <bookingId> --card 4242424242424242
  $ bookaticket tickets show <bookingId>                # the QR codes for the door
  $ bookaticket cancel <bookingId>
  $ bookaticket checkin - --screening <screeningId> < scans.txt    # staff, at the door
  $ bookaticket report day --cinema <cinemaId>

The token is kept in $BOOKATICKET_CONFIG_DIR, $XDG_CONFIG_HOME/bookaticket or ~/.config/bookaticket
(config.json, mode 0600). --api defaults to $BOOKATICKET_API, then ${DEFAULT_API}.

${EXIT_CODES_HELP}`,
    )

  registerAccountCommands(program)
  registerCinemaCommands(program)
  registerMovieCommands(program)
  registerScreeningCommands(program)
  registerCustomerCommands(program)
  registerCancelCommand(program)
  registerCheckinCommand(program)
  registerReportCommands(program)
  registerDlqCommands(program)
  registerCompletionCommand(program)

  // Every subcommand reports usage errors the same way (exit code 2) instead of exiting by itself.
  const configure = (command: Command) => {
    command.exitOverride().showHelpAfterError("(add --help for usage)")
    command.commands.forEach(configure)
  }
  program.commands.forEach(configure)
  return program
}

/** The exit code for anything a command can throw. */
export const exitCodeOf = (error: unknown): number => {
  if (error instanceof CliError) return error.exitCode
  if (error instanceof CommanderError) {
    // Help and version are not errors; everything else commander rejects is a usage error.
    // A group command without its subcommand prints help as an error (commander exit code 1).
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.ok
    if (error.code === "commander.help") return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage
    return ExitCode.usage
  }
  return ExitCode.apiFailure
}

/** Runs the CLI with `argv` (without the runtime and script) and returns the exit code. */
export const run = async (argv: readonly string[]): Promise<number> => {
  const program = buildProgram()
  const json = argv.includes("--json")
  try {
    if (argv.length === 0) {
      program.outputHelp()
      return ExitCode.usage
    }
    await program.parseAsync([...argv], { from: "user" })
    return ExitCode.ok
  } catch (error) {
    const code = exitCodeOf(error)
    // Commander has already printed its own message for usage errors and help.
    if (error instanceof CommanderError) return code
    if (error instanceof CliError && error.reported) return code
    const out = new Output({ json })
    if (error instanceof CliError) out.error(error.message, error.code, code)
    else out.error(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`, "unexpected", code)
    return code
  }
}

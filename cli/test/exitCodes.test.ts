import { describe, expect, test } from "bun:test"
import { CommanderError } from "commander"
import { CliError, ExitCode, messageForProblem, problemError } from "../src/errors.ts"
import { exitCodeOf } from "../src/program.ts"

describe("exit codes", () => {
  test("a problem from the API is exit code 1 and shows its detail", () => {
    const error = problemError({ status: 409, code: "hall_busy", detail: "Hall 1 is busy until 20:15." })
    expect(error.exitCode).toBe(ExitCode.apiFailure)
    expect(error.message).toBe("Hall 1 is busy until 20:15.")
    expect(error.code).toBe("hall_busy")
  })

  test("invalid input lists each field's error", () => {
    const message = messageForProblem({
      status: 422,
      code: "invalid_input",
      detail: "The request is not valid.",
      errors: [{ path: "price.amount", message: "Expected an integer" }],
    })
    expect(message).toContain("price.amount: Expected an integer")
  })

  test("401 and 403 are exit code 3, and an expired token says to log in again", () => {
    expect(problemError({ status: 401, code: "token_expired" }).message).toBe("token expired — run `bookaticket login` again")
    expect(problemError({ status: 401, code: "token_expired" }).exitCode).toBe(ExitCode.auth)
    expect(problemError({ status: 401, code: "unauthorized" }).message).toContain("bookaticket login")
    expect(problemError({ status: 403, code: "forbidden", detail: "staff only" }).exitCode).toBe(ExitCode.auth)
  })

  test("commander's usage errors are 2, help and version are 0", () => {
    expect(exitCodeOf(new CommanderError(1, "commander.unknownOption", "unknown option"))).toBe(ExitCode.usage)
    expect(exitCodeOf(new CommanderError(1, "commander.missingMandatoryOptionValue", "x"))).toBe(ExitCode.usage)
    expect(exitCodeOf(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"))).toBe(ExitCode.ok)
    expect(exitCodeOf(new CommanderError(1, "commander.help", "(outputHelp)"))).toBe(ExitCode.usage)
  })

  test("a CliError keeps its own code and anything unexpected is 1", () => {
    expect(exitCodeOf(new CliError("cannot reach", ExitCode.unreachable))).toBe(4)
    expect(exitCodeOf(new CliError("waited", ExitCode.timeout))).toBe(5)
    expect(exitCodeOf(new Error("boom"))).toBe(1)
  })
})

// Exit codes of `bookaticket` and the one error type that carries them to the top level.

/**
 * Exit codes (also listed in `bookaticket --help`):
 * 0 done; 1 the API reported a failure (4xx/5xx problem, payment declined, booking failed);
 * 2 usage error (bad or missing argument, confirmation needed but no terminal);
 * 3 not logged in, token expired or not allowed; 4 the API cannot be reached;
 * 5 timed out waiting for an outcome; 130 interrupted.
 */
export const ExitCode = {
  ok: 0,
  apiFailure: 1,
  usage: 2,
  auth: 3,
  unreachable: 4,
  timeout: 5,
  interrupted: 130,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  the API reported a failure (its detail is shown), a payment was declined, a booking failed,
     or checkin refused a code
  2  usage error: a bad or missing argument, or a confirmation needed with no terminal (use --yes)
  3  not logged in, token expired, or not allowed for your role
  4  the API cannot be reached
  5  timed out waiting for an outcome
`

/** A failure the person can act on: `message` is shown as is, `exitCode` ends the process. */
export class CliError extends Error {
  override readonly name = "CliError"
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Stable code for `--json` error output (the API's problem code when there is one). */
    readonly code: string = "error",
    readonly status?: number,
    options: CliErrorOptions = {},
  ) {
    super(message)
    this.problem = options.problem
    this.reported = options.reported === true
  }
  /** The API's problem body, with any extra members it carries (e.g. `admittedAt` of `already_admitted`). */
  readonly problem: Problem | undefined
  /** The command has already told the person (e.g. one line per refused scan): only the exit code is left to give. */
  readonly reported: boolean
}

export interface CliErrorOptions {
  readonly problem?: Problem
  readonly reported?: boolean
}

export const usageError = (message: string): CliError => new CliError(message, ExitCode.usage, "usage")

/** RFC 9457 problem body as the services send it; some problems carry extra members (`admittedAt`). */
export interface Problem {
  readonly [member: string]: unknown
  readonly type?: string
  readonly title?: string
  readonly status: number
  readonly detail?: string
  readonly code?: string
  readonly errors?: ReadonlyArray<{ path: string; message: string }>
}

/** The exit code for an HTTP problem: auth problems are 3, everything else the API says is 1. */
export const exitCodeForStatus = (status: number): ExitCode =>
  status === 401 || status === 403 ? ExitCode.auth : ExitCode.apiFailure

/** A readable message for an API problem: its detail, the field errors, and what to do about auth. */
export const messageForProblem = (problem: Problem): string => {
  if (problem.status === 401) {
    if (problem.code === "token_expired") return "token expired — run `bookaticket login` again"
    if (problem.code === "invalid_credentials") return "wrong e-mail or password"
    return "not logged in (or the token is no longer valid) — run `bookaticket login`"
  }
  if (problem.status === 403) return `not allowed: ${problem.detail ?? "your role may not do this"}`
  const head = problem.detail ?? problem.title ?? `HTTP ${problem.status}`
  const fields = (problem.errors ?? []).map((e) => `  ${e.path || "(body)"}: ${e.message}`)
  return [head, ...fields].join("\n")
}

export const problemError = (problem: Problem): CliError =>
  new CliError(messageForProblem(problem), exitCodeForStatus(problem.status), problem.code ?? "error", problem.status, { problem })

#!/usr/bin/env bun
// `bookaticket`: the admin and customer command line of Book a Ticket. Talks to the HTTP API only.
import { run } from "./program.ts"

process.exitCode = await run(process.argv.slice(2))

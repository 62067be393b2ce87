// The users service's settings (from the environment), as a service so the use cases read them like any dependency.
import { Context } from "effect"
import type { AdminAccount } from "../domain/accounts.ts"

export interface UsersSettingsShape {
  /** How long an access token is valid (TOKEN_TTL_MINUTES). */
  readonly ttlMinutes: number
  /** The staff account ensured at start (ADMIN_EMAIL, ADMIN_PASSWORD). */
  readonly admin: AdminAccount
}

export class UsersSettings extends Context.Service<UsersSettings, UsersSettingsShape>()("users/app/UsersSettings") {}

// Pure account rules: e-mail normalisation, who may unregister whom, and the ensured staff account.
import type { Role } from "@bat/http"

/** E-mails are compared and stored lower-cased, so Ann@Example.com and ann@example.com are one account. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase()

/** A user may unregister themselves; staff may unregister anyone. */
export const mayUnregister = (caller: { readonly userId: string; readonly role: Role }, target: string): boolean =>
  caller.role === "staff" || caller.userId === target

export const DEV_ADMIN_EMAIL = "admin@bookaticket.local"
/** Development only: a fixed, documented password so a fresh checkout can log in as staff. */
export const DEV_ADMIN_PASSWORD = "bookaticket-dev-admin"

export interface AdminAccount {
  readonly email: string
  readonly password: string
  readonly fullName: string
  /** True when the development defaults were used. */
  readonly isDevDefault: boolean
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * The staff account to ensure at start. In production ADMIN_EMAIL and ADMIN_PASSWORD are required;
 * elsewhere the development defaults fill in what is missing. A string result explains why not.
 */
export const adminAccountFrom = (
  env: Readonly<Record<string, string | undefined>>,
  production: boolean
): AdminAccount | string => {
  const email = env.ADMIN_EMAIL?.trim() || undefined
  const password = env.ADMIN_PASSWORD || undefined
  if (production && (email === undefined || password === undefined)) {
    return "ADMIN_EMAIL and ADMIN_PASSWORD must be set when NODE_ENV=production"
  }
  const account = {
    email: normaliseEmail(email ?? DEV_ADMIN_EMAIL),
    password: password ?? DEV_ADMIN_PASSWORD,
    fullName: env.ADMIN_FULL_NAME?.trim() || "Administrator",
    isDevDefault: email === undefined || password === undefined
  }
  if (!EMAIL.test(account.email)) return "ADMIN_EMAIL is not an e-mail address"
  if (account.password.length < 8) return "ADMIN_PASSWORD needs at least 8 characters"
  return account
}

/** TOKEN_TTL_MINUTES, 15 by default; a string result explains a bad value. */
export const tokenTtlMinutesFrom = (raw: string | undefined): number | string => {
  if (raw === undefined || raw === "") return 15
  const n = Number(raw)
  return Number.isInteger(n) && n >= 1 && n <= 24 * 60 ? n : "TOKEN_TTL_MINUTES must be an integer between 1 and 1440"
}

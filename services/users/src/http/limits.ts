// The users service's abuse limits (DESIGN §17): log-in failures per account and per client address (growing
// delays, then a temporary lock), and registrations per client address. Every one a setting; ABUSE_LIMITS=off
// turns them all off outside production.
import {
  abuseLimitsEnabled,
  failureLimiter,
  intSetting,
  tokenBucket,
  rateSetting,
  trustedProxiesSetting,
  type FailurePolicy
} from "@bat/http"

type Env = Readonly<Record<string, string | undefined>>

/** A failure policy from `<PREFIX>_FREE_FAILURES`, `<PREFIX>_LOCK_FAILURES`, and the shared delay and lock. */
const policy = (env: Env, prefix: string, free: number, lockAfter: number): FailurePolicy | undefined => {
  const p: FailurePolicy = {
    free: intSetting(env, `${prefix}_FREE_FAILURES`, free, 0),
    lockAfter: intSetting(env, `${prefix}_LOCK_FAILURES`, lockAfter, 0),
    delayMs: intSetting(env, "LOGIN_DELAY_MS", 1_000, 1),
    lockMs: intSetting(env, "LOGIN_LOCK_SECONDS", 900, 1) * 1000
  }
  // 0 failures to lock: that limit is off.
  if (p.lockAfter === 0) return undefined
  if (p.free >= p.lockAfter) throw new Error(`${prefix}_FREE_FAILURES must be below ${prefix}_LOCK_FAILURES (${p.lockAfter}), got ${p.free}`)
  return p
}

/** Addresses each account logged in from (most recent accounts kept; a few addresses each). In memory. */
const knownAddresses = (maxAccounts = 100_000, perAccount = 8) => {
  const byAccount = new Map<string, Array<string>>()
  return {
    has: (account: string, address: string): boolean => byAccount.get(account)?.includes(address) ?? false,
    add: (account: string, address: string): void => {
      const list = (byAccount.get(account) ?? []).filter((a) => a !== address)
      byAccount.delete(account)
      byAccount.set(account, [address, ...list].slice(0, perAccount))
      if (byAccount.size > maxAccounts) byAccount.delete(byAccount.keys().next().value as string)
    }
  }
}

export const usersLimits = (env: Env) => {
  const on = abuseLimitsEnabled(env)
  const accountPolicy = policy(env, "LOGIN_ACCOUNT", 5, 10)
  return {
    trusted: trustedProxiesSetting(env),
    // One account: 5 wrong passwords in a row are free, then 1 s, 2 s, 4 s … and a 15-minute lock at 10.
    loginAccount: failureLimiter("login_account", accountPolicy, on),
    // From an address the account logged in from before, the same policy counts that address's failures only,
    // so strangers elsewhere cannot keep the owner locked out (docs/DECISIONS.md).
    loginKnownAddress: failureLimiter("login_account_known_address", accountPolicy, on),
    known: knownAddresses(),
    // One address trying many accounts (or many people behind one address): more room, same shape.
    loginAddress: failureLimiter("login_address", policy(env, "LOGIN_ADDRESS", 30, 100), on),
    // Registrations (each attempt, taken e-mail or not) from one address: 20 an hour, refilled evenly.
    register: tokenBucket("register_address", rateSetting(env, "REGISTER_RATE_PER_ADDRESS", "20/1h"), on)
  }
}

export type UsersLimits = ReturnType<typeof usersLimits>

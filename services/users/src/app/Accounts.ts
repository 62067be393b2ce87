// Account use cases: register, log in, read oneself, unregister, and ensure the staff account.
import { Ids, newId, type UsersApi } from "@bat/contracts"
import { revokedUsersOf, type Principal } from "@bat/http"
import { eventMessage } from "@bat/messaging"
import { Store, type StoreError } from "@bat/store"
import { Clock, Context, Effect, Layer } from "effect"
import { mayUnregister, normaliseEmail, type AdminAccount } from "../domain/accounts.ts"
import { EmailTaken, InvalidCredentials, UnregisterForbidden, UserNotFound } from "../domain/errors.ts"
import { makeUserRepo, type UserRecord } from "../store/UserRepo.ts"
import { TokenIssuer } from "./TokenIssuer.ts"

type User = UsersApi.User

export interface AccountsShape {
  readonly register: (input: UsersApi.RegisterRequest, requestId: string) => Effect.Effect<User, EmailTaken | StoreError>
  readonly login: (
    input: UsersApi.LoginRequest,
    requestId: string
  ) => Effect.Effect<UsersApi.LoginResponse, InvalidCredentials | StoreError>
  readonly me: (userId: string) => Effect.Effect<User, UserNotFound>
  readonly unregister: (
    caller: Principal,
    userId: string,
    requestId: string
  ) => Effect.Effect<void, UnregisterForbidden | UserNotFound | StoreError>
  /** Makes sure the configured staff account exists, is staff, and has the configured password. */
  readonly ensureAdmin: (account: AdminAccount) => Effect.Effect<"created" | "updated" | "unchanged", StoreError>
}

// OWASP's argon2id baseline (19 MiB, 2 passes): hashing stays well under 100 ms on a small machine.
const HASH_OPTIONS = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const
const hashPassword = (password: string) => Effect.promise(() => Bun.password.hash(password, HASH_OPTIONS))
const verifyPassword = (password: string, hash: string) => Effect.promise(() => Bun.password.verify(password, hash))

const toUser = (r: UserRecord): User => ({ userId: r.userId, fullName: r.fullName, email: r.email, role: r.role })

const invalidCredentials = () => new InvalidCredentials({ message: "The e-mail or password is not right." })
const userNotFound = (userId: string) => new UserNotFound({ userId, message: "No such user." })

const make = Effect.gen(function* () {
  const store = yield* Store
  const ids = yield* Ids
  const tokens = yield* TokenIssuer
  const repo = makeUserRepo(store.db)
  // Unknown e-mails are verified against this, so they take as long as a wrong password.
  const dummyHash = yield* hashPassword(newId())

  const register = Effect.fn("Accounts.register")(function* (input: UsersApi.RegisterRequest, requestId: string) {
    const email = normaliseEmail(input.email)
    const passwordHash = yield* hashPassword(input.password)
    const now = yield* Clock.currentTimeMillis
    const record: UserRecord = { userId: ids.next() as UserRecord["userId"], fullName: input.fullName, email, role: "customer", passwordHash }
    return yield* store.transaction(
      Effect.gen(function* () {
        if (repo.findLiveByEmail(email) !== undefined) {
          return yield* new EmailTaken({ message: "An account with this e-mail exists already." })
        }
        repo.insert(record, now)
        const user = toUser(record)
        store.appendOutbox([eventMessage("users", "UserRegistered", { ...user, userId: record.userId }, { correlationId: requestId })])
        return user
      })
    )
  })

  const login = Effect.fn("Accounts.login")(function* (input: UsersApi.LoginRequest, requestId: string) {
    const found = repo.findLiveByEmail(normaliseEmail(input.email))
    const matches = yield* verifyPassword(input.password, found?.passwordHash ?? dummyHash)
    if (found === undefined || !matches) return yield* invalidCredentials()
    const user = yield* store.transaction(
      Effect.gen(function* () {
        // Unregistered while the password was being checked: the account is gone.
        const live = repo.findLiveById(found.userId)
        if (live === undefined) return yield* invalidCredentials()
        store.appendOutbox([eventMessage("users", "UserLoggedIn", { userId: live.userId }, { correlationId: requestId })])
        return toUser(live)
      })
    )
    const token = yield* tokens.sign(user)
    return { token, user }
  })

  const me = Effect.fn("Accounts.me")(function* (userId: string) {
    const found = repo.findLiveById(userId)
    if (found === undefined) return yield* userNotFound(userId)
    return toUser(found)
  })

  const unregister = Effect.fn("Accounts.unregister")(function* (caller: Principal, userId: string, requestId: string) {
    // Checked before existence, so a customer cannot probe which ids exist.
    if (!mayUnregister(caller, userId)) {
      return yield* new UnregisterForbidden({ userId, message: "You may only unregister your own account." })
    }
    const now = yield* Clock.currentTimeMillis
    yield* store.transaction(
      Effect.gen(function* () {
        const live = repo.findLiveById(userId)
        if (live === undefined || !repo.tombstone(userId, now)) return yield* userNotFound(userId)
        // Its tokens are refused here at once (DESIGN §17); the other services follow on UserUnregistered.
        revokedUsersOf(store).revoke(live.userId, now)
        store.appendOutbox([eventMessage("users", "UserUnregistered", { userId: live.userId }, { correlationId: requestId })])
      })
    )
  })

  const ensureAdmin = Effect.fn("Accounts.ensureAdmin")(function* (account: AdminAccount) {
    const existing = repo.findLiveByEmail(account.email)
    const passwordOk = existing === undefined ? false : yield* verifyPassword(account.password, existing.passwordHash)
    const hash = yield* hashPassword(account.password)
    const now = yield* Clock.currentTimeMillis
    const requestId = ids.next()
    return yield* store.transaction(
      Effect.gen(function* () {
        const live = repo.findLiveByEmail(account.email)
        if (live === undefined) {
          const record: UserRecord = {
            userId: ids.next() as UserRecord["userId"],
            fullName: account.fullName,
            email: account.email,
            role: "staff",
            passwordHash: hash
          }
          repo.insert(record, now)
          store.appendOutbox([eventMessage("users", "UserRegistered", { ...toUser(record), userId: record.userId }, { correlationId: requestId })])
          return "created" as const
        }
        if (live.role === "staff" && passwordOk) return "unchanged" as const
        repo.makeStaff(live.userId, passwordOk ? null : hash)
        return "updated" as const
      })
    )
  })

  return Accounts.of({ register, login, me, unregister, ensureAdmin })
})

export class Accounts extends Context.Service<Accounts, AccountsShape>()("users/app/Accounts") {
  static readonly layer = Layer.effect(Accounts, make)
}

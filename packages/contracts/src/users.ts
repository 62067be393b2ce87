// Events published by the users service to `users.events`.
import { Schema } from "effect"
import { UserId } from "./primitives.ts"

export const Role = Schema.Literals(["customer", "staff"])
export type Role = typeof Role.Type

export const UserRegistered = Schema.Struct({
  userId: UserId,
  fullName: Schema.String,
  email: Schema.String,
  role: Role
})
export const UserLoggedIn = Schema.Struct({ userId: UserId })
export const UserUnregistered = Schema.Struct({ userId: UserId })

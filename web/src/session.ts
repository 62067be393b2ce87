// Who is signed in: the access token and user, kept in sessionStorage so a reload keeps them and closing the tab forgets them.
import { computed, signal } from "@preact/signals"

export interface User {
  readonly userId: string
  readonly fullName: string
  readonly email: string
  readonly role: string
}

interface Session {
  readonly token: string
  readonly user: User
}

const KEY = "bat.session"

const load = (): Session | null => {
  try {
    const raw = sessionStorage.getItem(KEY)
    return raw ? (JSON.parse(raw) as Session) : null
  } catch {
    return null
  }
}

export const session = signal<Session | null>(load())
export const signedIn = computed(() => session.value !== null)

export const signIn = (token: string, user: User): void => {
  session.value = { token, user }
  sessionStorage.setItem(KEY, JSON.stringify(session.value))
}

/**
 * Forgets the person. Logging out (`forgetBookings`) also forgets the bookings this tab follows; an expired
 * session keeps them, so the hold is shown again once the person has logged in again.
 */
export const signOut = (forgetBookings = false): void => {
  session.value = null
  sessionStorage.removeItem(KEY)
  if (forgetBookings) for (const key of Object.keys(sessionStorage)) if (key.startsWith("bat.booking.")) sessionStorage.removeItem(key)
}

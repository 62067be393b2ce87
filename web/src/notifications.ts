// The signed-in person's notifications as they happen (GET /notifications/stream), for whoever listens:
// a booking page re-reads its booking when a notice about it arrives.
import { effect } from "@preact/signals"
import { authHeaders } from "./api.ts"
import { session } from "./session.ts"
import { openStream } from "./sse.ts"
import type { Notification } from "./views.ts"

type Listener = (notification: Notification) => void
const listeners = new Set<Listener>()

export const onNotification = (listener: Listener): (() => void) => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

let close: (() => void) | undefined
let openFor: string | undefined

// One stream per signed-in person, opened at sign-in and closed at sign-out.
effect(() => {
  const token = session.value?.token
  if (token === openFor) return
  close?.()
  close = undefined
  openFor = token
  if (token === undefined) return
  close = openStream({
    url: "/notifications/stream",
    headers: authHeaders,
    onEvent: (event) => {
      if (event.event !== "notification") return
      try {
        const n = JSON.parse(event.data) as Notification
        for (const listener of listeners) listener(n)
      } catch {
        // not a notification
      }
    },
    // A token that is no longer accepted ends the stream; the next call asks the person to log in again.
    onTrouble: (status) => status !== 401 && status !== 403,
  })
})

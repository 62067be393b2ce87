// The one live region of the page (role="status"): what just happened to the customer's booking, or why not.
import { signal } from "@preact/signals"

export const status = signal("")
let saidAt = 0

export const say = (sentence: string): void => {
  status.value = sentence
  saidAt = Date.now()
}

/** On moving to another page, an old message goes; one said just before the move (the reason for it) stays. */
export const clearStale = (): void => {
  if (Date.now() - saidAt > 1_000) status.value = ""
}

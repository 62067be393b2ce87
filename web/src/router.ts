// Client-side routes on the history API. The page's own paths never start with an API prefix.
import { signal } from "@preact/signals"

export const location = signal<{ path: string; query: URLSearchParams }>(read())

function read() {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) }
}

window.addEventListener("popstate", () => {
  location.value = read()
})

export const navigate = (to: string, { replace = false } = {}): void => {
  if (replace) history.replaceState(null, "", to)
  else history.pushState(null, "", to)
  location.value = read()
  window.scrollTo(0, 0)
}

/** The current path and query, for coming back here after signing in. */
export const here = (): string => window.location.pathname + window.location.search

/** A link that navigates without reloading the page (a plain link when opened in a new tab). */
export const onLinkClick = (event: MouseEvent): void => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  const anchor = event.currentTarget as HTMLAnchorElement
  event.preventDefault()
  navigate(anchor.getAttribute("href") ?? "/")
}

/** Only paths of this page are followed after signing in (never another site). */
export const safeNext = (next: string | null): string => (next && /^\/(?!\/)/.test(next) ? next : "/")

// The page's frame: the header with its links, the one live region, and the current route.
import { useEffect, useRef } from "preact/hooks"
import { Link } from "./components/Link.tsx"
import { MyTickets } from "./pages/MyTickets.tsx"
import { Home } from "./pages/Home.tsx"
import { Show } from "./pages/Show.tsx"
import { SignIn, SignUp } from "./pages/Account.tsx"
import { location, navigate } from "./router.ts"
import { session, signOut } from "./session.ts"
import { clearStale, say, status } from "./status.ts"
import "./notifications.ts"

function Route() {
  const path = location.value.path
  const show = /^\/show\/([^/]+)\/?$/.exec(path)
  if (path === "/" || path === "") return <Home />
  if (show) return <Show id={decodeURIComponent(show[1]!)} key={show[1]} />
  if (path === "/sign-in") return <SignIn />
  if (path === "/sign-up") return <SignUp />
  if (path === "/my-tickets") return <MyTickets />
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page here. <Link href="/">See all screenings</Link>.
      </p>
    </section>
  )
}

export function App() {
  const path = location.value.path
  const user = session.value?.user
  const first = useRef(true)
  useEffect(() => {
    // After moving to another page (not on the first load), a screen reader starts reading at its content.
    if (first.current) {
      first.current = false
      return
    }
    clearStale()
    document.getElementById("main")?.focus({ preventScroll: true })
  }, [path])
  useEffect(() => {
    const names: Record<string, string> = { "/sign-in": "Log in", "/sign-up": "Create an account", "/my-tickets": "My tickets" }
    document.title = `${names[path] ?? (path.startsWith("/show/") ? "Choose seats" : "Screenings")} · Book a Ticket`
  }, [path])

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <nav aria-label="Main">
          <Link href="/" class="brand">
            Book a Ticket
          </Link>
          <Link href="/">Screenings</Link>
          <Link href="/my-tickets">My tickets</Link>
          {user ? (
            <>
              <span class="who">Signed in as {user.fullName}</span>
              <button
                type="button"
                class="link"
                onClick={() => {
                  signOut(true)
                  say("You are logged out.")
                  navigate("/")
                }}
              >
                Log out
              </button>
            </>
          ) : (
            <>
              <Link href="/sign-in">Log in</Link>
              <Link href="/sign-up">Create account</Link>
            </>
          )}
        </nav>
      </header>
      <p role="status" class="status" aria-live="polite">
        {status.value}
      </p>
      <main id="main" tabIndex={-1}>
        <Route />
      </main>
    </>
  )
}

// Logging in and creating an account; both return to where the person was (`?next=`).
import { useState } from "preact/hooks"
import { post } from "../api.ts"
import { Field } from "../components/Field.tsx"
import { Link } from "../components/Link.tsx"
import { location, navigate, safeNext } from "../router.ts"
import { fieldSentences, sentence } from "../sentences.ts"
import { signIn, type User } from "../session.ts"
import { say } from "../status.ts"

const logIn = async (email: string, password: string) =>
  post<{ token: string; user: User }>("/users/login", { email, password })

const nextQuery = () => {
  const next = location.value.query.get("next")
  return next ? `?next=${encodeURIComponent(next)}` : ""
}

export function SignIn() {
  const [email, setEmail] = useState("")
  const [password, setPassword] = useState("")
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const submit = async (event: Event) => {
    event.preventDefault()
    if (busy) return
    setBusy(true)
    const r = await logIn(email.trim(), password)
    setBusy(false)
    if (r.ok) {
      signIn(r.body.token, r.body.user)
      say(`Welcome back, ${r.body.user.fullName}.`)
      navigate(safeNext(location.value.query.get("next")), { replace: true })
      return
    }
    const message = r.status === 422 ? "Please enter your email and password." : sentence(r.problem)
    setError(message)
    say(message)
  }

  return (
    <section aria-labelledby="sign-in-heading" class="narrow">
      <h1 id="sign-in-heading">Log in</h1>
      <form onSubmit={submit} noValidate>
        <Field id="email" label="Email" type="email" autoComplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error ? <p class="error">{error}</p> : null}
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        New here? <Link href={`/sign-up${nextQuery()}`}>Create an account</Link>
      </p>
    </section>
  )
}

export function SignUp() {
  const [fullName, setFullName] = useState("")
  const [email, setEmail] = useState("")
  const [password, setPassword] = useState("")
  const [busy, setBusy] = useState(false)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)

  const submit = async (event: Event) => {
    event.preventDefault()
    if (busy) return
    const local: Record<string, string> = {}
    if (fullName.trim() === "") local.fullName = "Enter your name."
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) local.email = "Enter an email address, such as ann@example.com."
    if ([...password].length < 8) local.password = "Use a password of at least 8 characters."
    setErrors(local)
    if (Object.keys(local).length > 0) {
      setError("Some of the details are not right. Please check the highlighted fields.")
      return
    }
    setBusy(true)
    const r = await post("/users/register", { fullName: fullName.trim(), email: email.trim(), password })
    if (!r.ok) {
      setBusy(false)
      const fields = r.status === 422 ? fieldSentences(r.problem) : {}
      setErrors(fields)
      if (r.problem.code === "email_taken") setErrors({ email: "An account with this email already exists." })
      const message = sentence(r.problem)
      setError(message)
      say(message)
      return
    }
    const login = await logIn(email.trim(), password)
    setBusy(false)
    if (!login.ok) {
      say("Your account is ready. Please log in.")
      navigate(`/sign-in${nextQuery()}`, { replace: true })
      return
    }
    signIn(login.body.token, login.body.user)
    say(`Welcome, ${login.body.user.fullName}. Your account is ready.`)
    navigate(safeNext(location.value.query.get("next")), { replace: true })
  }

  return (
    <section aria-labelledby="sign-up-heading" class="narrow">
      <h1 id="sign-up-heading">Create an account</h1>
      <form onSubmit={submit} noValidate>
        <Field
          id="full-name"
          label="Full name"
          autoComplete="name"
          value={fullName}
          onInput={(e) => setFullName(e.currentTarget.value)}
          error={errors.fullName}
        />
        <Field
          id="email"
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
          error={errors.email}
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters."
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          error={errors.password}
        />
        {error ? <p class="error">{error}</p> : null}
        <button type="submit" class="primary" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        <Link href={`/sign-in${nextQuery()}`}>I have an account already</Link>
      </p>
    </section>
  )
}

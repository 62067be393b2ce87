// The card form. The card number stays in this form's memory only: never stored, never logged.
import { useState } from "preact/hooks"
import { Field } from "./Field.tsx"

export interface CardInput {
  readonly number: string
  readonly expMonth: number
  readonly expYear: number
  readonly cvc: string
}

/** Resolves with field sentences by path (`card.number`, …) when the card was refused as entered. */
export type PayHandler = (card: CardInput) => Promise<Record<string, string>>

/** The Luhn check every card number passes: a mistyped digit is caught before anything is sent. */
const luhn = (digits: string): boolean => {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  return sum % 10 === 0
}

const asNumber = (text: string): number => (/^\s*\d{1,4}\s*$/.test(text) ? Number(text) : Number.NaN)

export function PaymentForm(props: { onPay: PayHandler; onInvalid: () => void; disabled: boolean; amount: string }) {
  const [number, setNumber] = useState("")
  const [month, setMonth] = useState("")
  const [year, setYear] = useState("")
  const [cvc, setCvc] = useState("")
  const [busy, setBusy] = useState(false)
  const [errors, setErrors] = useState<Record<string, string>>({})

  const submit = async (event: Event) => {
    event.preventDefault()
    if (busy || props.disabled) return
    const local: Record<string, string> = {}
    const digits = number.replace(/[\s-]/g, "")
    if (!/^\d{12,19}$/.test(digits) || !luhn(digits)) local["card.number"] = "This card number is not valid. Please check the digits."
    const m = asNumber(month)
    if (!(m >= 1 && m <= 12)) local["card.expMonth"] = "Enter the expiry month as a number from 1 to 12."
    let y = asNumber(year)
    if (y >= 0 && y < 100) y += 2000
    if (!(y >= 2000 && y <= 2099)) local["card.expYear"] = "Enter the expiry year, such as 2030."
    if (!/^\d{3,4}$/.test(cvc.trim())) local["card.cvc"] = "Enter the 3 or 4 digits on the back of the card."
    setErrors(local)
    if (Object.keys(local).length > 0) return props.onInvalid()
    setBusy(true)
    try {
      const refused = await props.onPay({ number: digits, expMonth: m, expYear: y, cvc: cvc.trim() })
      setErrors(refused)
      if (Object.keys(refused).length === 0) setNumber("")
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="payment" onSubmit={submit} noValidate>
      <h2>Pay {props.amount}</h2>
      <Field
        id="card-number"
        label="Card number"
        inputMode="numeric"
        autoComplete="cc-number"
        value={number}
        onInput={(e) => setNumber(e.currentTarget.value)}
        error={errors["card.number"]}
      />
      <div class="row">
        <Field
          id="card-exp-month"
          label="Expiry month"
          inputMode="numeric"
          autoComplete="cc-exp-month"
          placeholder="MM"
          value={month}
          onInput={(e) => setMonth(e.currentTarget.value)}
          error={errors["card.expMonth"]}
        />
        <Field
          id="card-exp-year"
          label="Expiry year"
          inputMode="numeric"
          autoComplete="cc-exp-year"
          placeholder="YYYY"
          value={year}
          onInput={(e) => setYear(e.currentTarget.value)}
          error={errors["card.expYear"]}
        />
        <Field
          id="card-cvc"
          label="CVC"
          inputMode="numeric"
          autoComplete="cc-csc"
          value={cvc}
          onInput={(e) => setCvc(e.currentTarget.value)}
          error={errors["card.cvc"]}
        />
      </div>
      <button type="submit" class="primary" disabled={props.disabled || busy}>
        Pay
      </button>
    </form>
  )
}

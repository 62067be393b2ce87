// A labelled form field whose error, when there is one, is read with it (aria-describedby) and marks it invalid.

export interface FieldProps {
  readonly id: string
  readonly label: string
  readonly value: string
  readonly onInput: (event: { currentTarget: HTMLInputElement }) => void
  readonly error?: string | undefined
  readonly hint?: string
  readonly type?: "text" | "email" | "password"
  readonly autoComplete?: string
  readonly inputMode?: "numeric" | "text" | "email"
  readonly placeholder?: string
}

export function Field(props: FieldProps) {
  const { id, label, error, hint } = props
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ")
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <input
        id={id}
        name={id}
        type={(props.type ?? "text") as "text"}
        value={props.value}
        onInput={(e) => props.onInput({ currentTarget: e.currentTarget })}
        autoComplete={props.autoComplete}
        inputMode={props.inputMode}
        placeholder={props.placeholder}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {error ? (
        <span class="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : null}
    </div>
  )
}

// Integer settings from the environment, read the same way by every service: unset or empty means the
// default; anything else must be an integer of at least `min`, or the service refuses to start.
type Env = Readonly<Record<string, string | undefined>>

export const intSetting = (env: Env, name: string, fallback: number, min = 0): number => {
  const raw = env[name]
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!/^-?[0-9]+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    const what = min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : `an integer of at least ${min}`
    throw new Error(`${name} must be ${what}, got ${JSON.stringify(raw)}`)
  }
  return n
}

/** A port to listen on or to reach: unset or empty means the default; else 0 to 65535, or the process refuses to start. */
export const portSetting = (env: Env, name: string, fallback: number): number => {
  const raw = env[name]
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!/^[0-9]+$/.test(raw.trim()) || n > 65_535) throw new Error(`${name} must be a port (0 to 65535), got ${JSON.stringify(raw)}`)
  return n
}

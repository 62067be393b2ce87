// A spinner on stderr while waiting, only when stderr is a terminal (so logs and pipes stay clean).

export interface Spinner {
  update(text: string): void
  stop(): void
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

export const startSpinner = (text: string, enabled: boolean): Spinner => {
  if (!enabled) return { update: () => {}, stop: () => {} }
  let frame = 0
  let label = text
  let stopped = false
  const draw = () => void process.stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label}`)
  draw()
  const timer = setInterval(draw, 80)
  return {
    update: (next) => {
      label = next
    },
    stop: () => {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      process.stderr.write("\r\x1b[2K")
    },
  }
}

// One JSON log line per event, the same shape from every process: level, time, service, msg, fields.
export type LogLevel = "info" | "warn" | "error"

export const jsonLog = (service: string | undefined, level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
  const line = JSON.stringify({ level, time: new Date().toISOString(), ...(service ? { service } : {}), msg, ...fields })
  if (level === "error") console.error(line)
  else console.log(line)
}
